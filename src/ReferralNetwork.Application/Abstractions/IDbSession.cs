using System.Data.Common;

namespace ReferralNetwork.Application.Abstractions;

/// <summary>
/// The request's one connection (and, for a command, its one transaction). The transaction behaviour begins and
/// commits it; handlers only run SQL on it.
/// </summary>
public interface IDbSession
{
    ISqlDialect Dialect { get; }

    /// <summary>The open connection (opened on first use).</summary>
    ValueTask<DbConnection> ConnectionAsync(CancellationToken ct);

    /// <summary>The transaction of the current command, or null in a query.</summary>
    DbTransaction? Transaction { get; }

    ValueTask BeginAsync(CancellationToken ct);
    ValueTask CommitAsync(CancellationToken ct);
    ValueTask RollbackAsync(CancellationToken ct);
}
