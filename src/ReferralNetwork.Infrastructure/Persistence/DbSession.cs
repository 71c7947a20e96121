using System.Data.Common;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Infrastructure.Persistence;

/// <summary>
/// One connection per request scope, opened on first use; at most one transaction (a command's). On SQLite a transaction
/// first takes the process's write gate (<see cref="ConnectionFactory.WriteGate"/>), released when it commits or rolls back.
/// </summary>
public sealed class DbSession(ConnectionFactory factory) : IDbSession, IAsyncDisposable
{
    private DbConnection? _connection;
    private bool _holdsGate;
    private long _begunAt;

    public ISqlDialect Dialect => factory.Dialect;
    public DbTransaction? Transaction { get; private set; }

    public async ValueTask<DbConnection> ConnectionAsync(CancellationToken ct) => _connection ??= await factory.OpenAsync(ct);

    public async ValueTask BeginAsync(CancellationToken ct)
    {
        if (Transaction is not null) throw new InvalidOperationException("A transaction is already open in this scope.");
        if (factory.WriteGate is { } gate)
        {
            if (!await gate.WaitAsync(factory.WriteGateTimeout, ct))
                throw new TimeoutException($"No database write slot within {factory.WriteGateTimeout.TotalSeconds:0} s.");
            _holdsGate = true;
        }
        try
        {
            var connection = await ConnectionAsync(ct);
            // SQLite: BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default), so two writers never deadlock upgrading read locks.
            Transaction = await connection.BeginTransactionAsync(ct);
            _begunAt = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        catch
        {
            ReleaseGate();
            throw;
        }
    }

    private void ReleaseGate()
    {
        if (!_holdsGate) return;
        _holdsGate = false;
        factory.WriteGate!.Release();
    }

    public async ValueTask CommitAsync(CancellationToken ct)
    {
        var transaction = Transaction ?? throw new InvalidOperationException("No transaction is open.");
        // A failed commit leaves the transaction (and the gate) to the rollback that follows.
        await transaction.CommitAsync(ct);
        await transaction.DisposeAsync();
        Transaction = null;
        ReleaseGate();
        Measure("commit");
    }

    public async ValueTask RollbackAsync(CancellationToken ct)
    {
        if (Transaction is null) return;
        var transaction = Transaction;
        Transaction = null;
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
            // The gate is released whatever happened, or every later writer of the process would wait for it in vain.
            ReleaseGate();
            Measure("rollback");
        }
    }

    private void Measure(string outcome) =>
        Telemetry.TransactionDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(_begunAt).TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));

    public async ValueTask DisposeAsync()
    {
        if (Transaction is not null) await RollbackAsync(CancellationToken.None);
        if (_connection is not null) await _connection.DisposeAsync();
    }
}
