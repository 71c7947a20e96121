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
    /// transaction committed. Otherwise (background workers) the transaction is the scope's own. <paramref name="alone"/>
    /// (a grouped command that may run long, see <see cref="ICommitsAlone"/>): what is open commits before it starts,
    /// and it commits on its own.
    /// </summary>
    ValueTask BeginAsync(CancellationToken ct, bool grouped = false, bool alone = false);

    ValueTask CommitAsync(CancellationToken ct);
    ValueTask RollbackAsync(CancellationToken ct);
}

/// <summary>
/// A command that may hold the writer for long (a document upload streams its body inside its transaction): with group
/// commit it neither makes finished commands wait for it nor waits for others.
/// </summary>
public interface ICommitsAlone;
