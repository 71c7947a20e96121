using System.Data.Common;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Infrastructure.Persistence;

/// <summary>One connection per request scope, opened on first use; at most one transaction (a command's).</summary>
public sealed class DbSession(ConnectionFactory factory) : IDbSession, IAsyncDisposable
{
    private DbConnection? _connection;

    public ISqlDialect Dialect => factory.Dialect;
    public DbTransaction? Transaction { get; private set; }

    public async ValueTask<DbConnection> ConnectionAsync(CancellationToken ct) => _connection ??= await factory.OpenAsync(ct);

    public async ValueTask BeginAsync(CancellationToken ct)
    {
        if (Transaction is not null) throw new InvalidOperationException("A transaction is already open in this scope.");
        var connection = await ConnectionAsync(ct);
        // SQLite: BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default), so two writers never deadlock upgrading read locks.
        Transaction = await connection.BeginTransactionAsync(ct);
    }

    public async ValueTask CommitAsync(CancellationToken ct)
    {
        var transaction = Transaction ?? throw new InvalidOperationException("No transaction is open.");
        await transaction.CommitAsync(ct);
        await transaction.DisposeAsync();
        Transaction = null;
    }

    public async ValueTask RollbackAsync(CancellationToken ct)
    {
        if (Transaction is null) return;
        try
        {
            await Transaction.RollbackAsync(ct);
        }
        catch (InvalidOperationException)
        {
            // Already completed or the connection broke: nothing was committed.
        }
        await Transaction.DisposeAsync();
        Transaction = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (Transaction is not null) await RollbackAsync(CancellationToken.None);
        if (_connection is not null) await _connection.DisposeAsync();
    }
}
