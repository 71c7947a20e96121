using System.Data.Common;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Infrastructure.Persistence;

/// <summary>
/// One connection per request scope, opened on first use; at most one transaction (a command's). A command's transaction
/// is a turn of the batching writer when group commit is on (<see cref="GroupCommitWriter"/>): while it lasts,
/// <see cref="ConnectionAsync"/> and <see cref="Transaction"/> are the writer's. Any other transaction is the scope's own;
/// on SQLite it first takes the process's write slot (<see cref="ConnectionFactory.SoloWriteAsync"/>), released when it
/// commits or rolls back.
/// </summary>
public sealed class DbSession(ConnectionFactory factory) : IDbSession, IAsyncDisposable
{
    private DbConnection? _connection;
    private IAsyncDisposable? _slot;
    private WriterTurn? _turn;
    private DbTransaction? _transaction;
    private long _begunAt;

    public ISqlDialect Dialect => factory.Dialect;
    public DbTransaction? Transaction => _turn?.Transaction ?? _transaction;

    public async ValueTask<DbConnection> ConnectionAsync(CancellationToken ct) => _turn?.Connection ?? (_connection ??= await factory.OpenAsync(ct));

    public async ValueTask BeginAsync(CancellationToken ct, bool grouped = false, bool alone = false)
    {
        if (Transaction is not null) throw new InvalidOperationException("A transaction is already open in this scope.");
        if (grouped && factory.GroupCommit is { } writer)
        {
            _turn = await writer.EnterAsync(ct, alone);
            _begunAt = System.Diagnostics.Stopwatch.GetTimestamp();
            return;
        }
        _slot = await factory.SoloWriteAsync(ct);
        try
        {
            var connection = await ConnectionAsync(ct);
            // SQLite: BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default), so two writers never deadlock upgrading read locks.
            _transaction = await connection.BeginTransactionAsync(ct);
            _begunAt = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        catch
        {
            await ReleaseSlotAsync();
            throw;
        }
    }

    private async ValueTask ReleaseSlotAsync()
    {
        var slot = _slot;
        _slot = null;
        if (slot is not null) await slot.DisposeAsync();
    }

    public async ValueTask CommitAsync(CancellationToken ct)
    {
        if (_turn is { } turn)
        {
            // The turn ends here whatever happens: a failed batch is already rolled back, and the rollback that follows
            // finds nothing left to do.
            _turn = null;
            try
            {
                await turn.CommitAsync();
            }
            catch
            {
                Measure("rollback");
                throw;
            }
            Measure("commit");
            return;
        }
        var transaction = _transaction ?? throw new InvalidOperationException("No transaction is open.");
        // A failed commit leaves the transaction (and the write slot) to the rollback that follows.
        await transaction.CommitAsync(ct);
        await transaction.DisposeAsync();
        _transaction = null;
        await ReleaseSlotAsync();
        Measure("commit");
    }

    public async ValueTask RollbackAsync(CancellationToken ct)
    {
        if (_turn is { } turn)
        {
            _turn = null;
            await turn.RollbackAsync();
            Measure("rollback");
            return;
        }
        if (_transaction is null) return;
        var transaction = _transaction;
        _transaction = null;
        try
        {
            await transaction.RollbackAsync(ct);
        }
        catch (Exception e) when (e is InvalidOperationException or DbException or IOException or TimeoutException)
        {
            // Already completed (SQLite rolls back by itself after SQLITE_FULL), or the connection broke (the server
            // restarted): nothing was committed, and a server rolls back a transaction whose connection is gone. The
            // failure that led here is the one worth reporting, not this one.
        }
        finally
        {
            try
            {
                await transaction.DisposeAsync();
            }
            catch (Exception e) when (e is InvalidOperationException or DbException or IOException or TimeoutException)
            {
            }
            // The slot is released whatever happened, or every later writer of the process would wait for it in vain.
            await ReleaseSlotAsync();
            Measure("rollback");
        }
    }

    private void Measure(string outcome) =>
        Telemetry.TransactionDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(_begunAt).TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));

    public async ValueTask DisposeAsync()
    {
        if (Transaction is not null) await RollbackAsync(CancellationToken.None);
        await ReleaseSlotAsync();
        if (_connection is not null) await _connection.DisposeAsync();
    }
}
