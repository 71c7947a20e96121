using Dapper;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Api.Tests.Databases;

/// <summary>SQLite connections as the API opens them: durable settings on every (pooled) connection, one writer at a time.</summary>
public sealed class SqliteConnectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rn-sqlite-").FullName;

    private ConnectionFactory Factory() => new(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(_dir, "t.db")};Pooling=True");

    [Fact]
    public async Task A_pooled_connection_keeps_wal_full_sync_busy_timeout_and_foreign_keys()
    {
        using var factory = Factory();
        for (var i = 0; i < 3; i++)
        {
            await using var connection = await factory.OpenAsync(CancellationToken.None);
            Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
            Assert.Equal(2, await connection.ExecuteScalarAsync<long>("PRAGMA synchronous"));
            Assert.Equal(10000, await connection.ExecuteScalarAsync<long>("PRAGMA busy_timeout"));
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>("PRAGMA foreign_keys"));
        }
    }

    [Fact]
    public async Task A_second_writer_waits_for_the_first_to_commit_without_a_busy_error()
    {
        using var factory = Factory();
        await using (var setup = await factory.OpenAsync(CancellationToken.None))
            await setup.ExecuteAsync("CREATE TABLE t (n INTEGER NOT NULL)");
        await using var first = new DbSession(factory);
        await using var second = new DbSession(factory);
        await first.BeginAsync(CancellationToken.None);
        var waiting = second.BeginAsync(CancellationToken.None).AsTask();
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        await (await first.ConnectionAsync(CancellationToken.None)).ExecuteAsync("INSERT INTO t (n) VALUES (1)", transaction: first.Transaction);
        await first.CommitAsync(CancellationToken.None);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        await (await second.ConnectionAsync(CancellationToken.None)).ExecuteAsync("INSERT INTO t (n) VALUES (2)", transaction: second.Transaction);
        await second.RollbackAsync(CancellationToken.None);
        // The rollback gave the gate back: a third writer gets it at once.
        await using var third = new DbSession(factory);
        await third.BeginAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await (await third.ConnectionAsync(CancellationToken.None)).ExecuteScalarAsync<long>("SELECT COUNT(*) FROM t", transaction: third.Transaction));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
