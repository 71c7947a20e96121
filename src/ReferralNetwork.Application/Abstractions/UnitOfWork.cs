using System.Data.Common;

namespace ReferralNetwork.Application.Abstractions;

/// <summary>
/// The one way a transaction is opened, committed and rolled back — by the transaction behaviour for every command and
/// by the background workers (webhook fan-out and delivery, key rotation, checkpoints, the audit log sequencer) for
/// theirs. Disposing a unit that was neither committed nor handed over rolls it back, so
/// <c>await using var work = await UnitOfWork.BeginAsync(session, ct); …; await work.CommitAsync(ct);</c> is all a
/// caller writes: an exception or an early return undoes everything. On SQLite beginning also takes the process's write
/// gate (or the batching writer's turn), released when the unit ends either way.
/// </summary>
public sealed class UnitOfWork : IAsyncDisposable
{
    private readonly IDbSession _session;
    private bool _ended;

    private UnitOfWork(IDbSession session, DbConnection connection)
    {
        _session = session;
        Connection = connection;
    }

    public static async ValueTask<UnitOfWork> BeginAsync(IDbSession session, CancellationToken ct)
    {
        await session.BeginAsync(ct);
        return new UnitOfWork(session, await session.ConnectionAsync(ct));
    }

    /// <summary>
    /// A command's unit: with group commit on it shares its commit with the commands around it (see
    /// <see cref="IDbSession.BeginAsync"/>); <see cref="CommitAsync"/> still returns only once it is durable.
    /// </summary>
    public static async ValueTask<UnitOfWork> BeginCommandAsync(IDbSession session, CancellationToken ct, bool alone = false)
    {
        await session.BeginAsync(ct, grouped: true, alone);
        return new UnitOfWork(session, await session.ConnectionAsync(ct));
    }

    public DbConnection Connection { get; }

    public DbTransaction Transaction => _ended ? throw new InvalidOperationException("This unit of work has ended.") : _session.Transaction!;

    public ISqlDialect Dialect => _session.Dialect;

    public async ValueTask CommitAsync(CancellationToken ct)
    {
        if (_ended) throw new InvalidOperationException("This unit of work has ended.");
        try
        {
            await _session.CommitAsync(ct);
        }
        catch
        {
            await RollbackAsync();
            throw;
        }
        _ended = true;
    }

    /// <summary>
    /// Passes the open transaction to a new owner (the idempotency middleware, which stores the answer in it before it
    /// commits): this unit ends without rolling back, the returned one commits or rolls back instead.
    /// </summary>
    public UnitOfWork HandOver()
    {
        if (_ended) throw new InvalidOperationException("This unit of work has ended.");
        _ended = true;
        return new UnitOfWork(_session, Connection);
    }

    /// <summary>Undoes everything (also what <see cref="DisposeAsync"/> does for a unit left open).</summary>
    public async ValueTask RollbackAsync()
    {
        if (_ended) return;
        _ended = true;
        await _session.RollbackAsync(CancellationToken.None);
    }

    public ValueTask DisposeAsync() => RollbackAsync();
}
