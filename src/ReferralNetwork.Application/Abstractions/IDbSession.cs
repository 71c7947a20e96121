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

    /// <summary>
    /// Opens the scope's transaction. <paramref name="grouped"/> (commands) joins the batching writer where group commit
    /// is on: the command runs in its own savepoint of a shared transaction, and committing returns once that
    /// transaction committed. Otherwise (background workers) the transaction is the scope's own.
    /// </summary>
    ValueTask BeginAsync(CancellationToken ct, bool grouped = false);
    ValueTask CommitAsync(CancellationToken ct);
    ValueTask RollbackAsync(CancellationToken ct);
}
