using System.Diagnostics.Metrics;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Api.Tests.Databases;

/// <summary>
/// The batching writer (issue 20) on a real database, below the API: commands share one transaction, each in its own
/// savepoint; a failing one rolls back alone; nobody is answered before the shared commit; a lost transaction fails
/// every command in it.
/// </summary>
public abstract class GroupCommitTests : IAsyncLifetime
{
    private ITestDatabase _database = null!;
    private ConnectionFactory _factory = null!;

    protected abstract Task<ITestDatabase> CreateDatabaseAsync();
    protected abstract DatabaseProvider Provider { get; }

    public async Task InitializeAsync()
    {
        _database = await CreateDatabaseAsync();
        _factory = Factory(new GroupCommitOptions { MaxBatch = 64, MaxWaitMilliseconds = 10_000, Lanes = 1 });
        await using var connection = await _factory.OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync("CREATE TABLE gc_rows (id INTEGER PRIMARY KEY, label VARCHAR(40) NOT NULL)");
    }

    private ConnectionFactory Factory(GroupCommitOptions options) => new(Provider, _database.ConnectionString) { Grouping = options };

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _database.DisposeAsync();
    }

    private static async Task InsertAsync(WriterTurn turn, int id) =>
        await turn.Connection.ExecuteAsync("INSERT INTO gc_rows (id, label) VALUES (@Id, 'row')", new { Id = id }, turn.Transaction);

    private async Task<long[]> CommittedAsync()
    {
        await using var connection = await _factory.OpenAsync(CancellationToken.None);
        return (await connection.QueryAsync<long>("SELECT id FROM gc_rows ORDER BY id")).ToArray();
    }

    [Fact]
    public async Task Commands_queued_behind_each_other_share_one_commit_and_a_failing_one_rolls_back_alone()
    {
        var writer = _factory.GroupCommit!;
        var sizes = new List<long>();
        using var listener = BatchSizes(sizes);

        // The first command holds the turn while two more queue behind it: all three land in the first one's batch.
        var first = await writer.EnterAsync(CancellationToken.None);
        var second = writer.EnterAsync(CancellationToken.None).AsTask();
        var third = writer.EnterAsync(CancellationToken.None).AsTask();
        await InsertAsync(first, 1);
        var firstDone = first.CommitAsync().AsTask();

        var turn2 = await second;
        await InsertAsync(turn2, 2);
        await turn2.RollbackAsync();

        // Nobody is answered yet: the batch is open while the third command runs, and another connection sees nothing.
        var turn3 = await third;
        Assert.False(firstDone.IsCompleted);
        Assert.Empty(await CommittedAsync());
        await InsertAsync(turn3, 3);
        // The third finds nobody behind it and commits the batch: both waiting commands are answered.
        await turn3.CommitAsync();
        await firstDone;

        Assert.Equal(new[] { 1L, 3L }, await CommittedAsync());
        Assert.Contains(2L, sizes);
    }

    [Fact]
    public async Task A_lone_command_commits_at_once_without_waiting_for_company()
    {
        var turn = await _factory.GroupCommit!.EnterAsync(CancellationToken.None);
        await InsertAsync(turn, 10);
        // MaxWaitMilliseconds is 10 s here: an answer within it proves nobody waited for it.
        await turn.CommitAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(new[] { 10L }, await CommittedAsync());
    }

    [Fact]
    public async Task When_the_database_throws_the_shared_transaction_away_every_command_in_it_fails_and_nothing_is_committed()
    {
        var writer = _factory.GroupCommit!;
        var first = await writer.EnterAsync(CancellationToken.None);
        var second = writer.EnterAsync(CancellationToken.None).AsTask();
        await InsertAsync(first, 20);
        var firstDone = first.CommitAsync().AsTask();

        // What SQLite does by itself after a full disk or an I/O error: the whole transaction is rolled back under the
        // writer's feet, so the second command's savepoint is gone.
        var turn2 = await second;
        await InsertAsync(turn2, 21);
        await turn2.Connection.ExecuteAsync("ROLLBACK", transaction: turn2.Transaction);
        await turn2.RollbackAsync();

        var failure = await Assert.ThrowsAsync<GroupCommitFailedException>(() => firstDone);
        Assert.NotNull(DatabaseFailures.Classify(failure));
        Assert.Empty(await CommittedAsync());

        // The writer recovers: the next command opens a new transaction on a new connection.
        var next = await writer.EnterAsync(CancellationToken.None);
        await InsertAsync(next, 22);
        await next.CommitAsync();
        Assert.Equal(new[] { 22L }, await CommittedAsync());
    }

    [Fact]
    public async Task A_write_outside_the_batches_first_commits_the_open_batch()
    {
        var writer = _factory.GroupCommit!;
        var first = await writer.EnterAsync(CancellationToken.None);
        var second = writer.EnterAsync(CancellationToken.None).AsTask();
        await InsertAsync(first, 30);
        var firstDone = first.CommitAsync().AsTask();
        var turn2 = await second;
        var solo = _factory.SoloWriteAsync(CancellationToken.None).AsTask();
        await InsertAsync(turn2, 31);
        await turn2.CommitAsync();
        await firstDone;

        // A worker's own transaction on its own connection (on SQLite it holds the writer's turn meanwhile).
        var slot = await solo;
        await using (var connection = await _factory.OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("INSERT INTO gc_rows (id, label) VALUES (32, 'solo')");
        }
        if (slot is not null) await slot.DisposeAsync();
        Assert.Equal(new[] { 30L, 31L, 32L }, await CommittedAsync());
    }

    [Fact]
    public async Task A_command_that_commits_alone_does_not_make_finished_commands_wait_for_it()
    {
        var writer = _factory.GroupCommit!;
        var first = await writer.EnterAsync(CancellationToken.None);
        var upload = writer.EnterAsync(CancellationToken.None, alone: true).AsTask();
        await InsertAsync(first, 40);
        var firstDone = first.CommitAsync().AsTask();

        // The long command (a streamed upload) commits what is open before it starts: the first is answered while it runs.
        var turn = await upload;
        await firstDone.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(new[] { 40L }, await CommittedAsync());
        await InsertAsync(turn, 41);
        await turn.CommitAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(new[] { 40L, 41L }, await CommittedAsync());
    }

    [Fact]
    public async Task A_batch_whose_only_command_failed_does_not_stay_open()
    {
        var writer = _factory.GroupCommit!;
        var failing = await writer.EnterAsync(CancellationToken.None);
        var next = writer.EnterAsync(CancellationToken.None).AsTask();
        await InsertAsync(failing, 50);
        // Someone waits behind it, yet the empty batch ends: an open transaction would hold SQLite's write lock.
        await failing.RollbackAsync();
        var turn = await next;
        await InsertAsync(turn, 51);
        await turn.CommitAsync();
        // A write of another connection goes through at once (no open transaction holds the lock).
        await using (var connection = await _factory.OpenAsync(CancellationToken.None))
            await connection.ExecuteAsync("INSERT INTO gc_rows (id, label) VALUES (52, 'other')");
        Assert.Equal(new[] { 51L, 52L }, await CommittedAsync());
    }

    [Fact]
    public async Task Many_concurrent_commands_all_commit_and_share_commits()
    {
        await using var factory = Factory(new GroupCommitOptions { MaxBatch = 8, MaxWaitMilliseconds = 50, Lanes = 2 });
        var sizes = new List<long>();
        using var listener = BatchSizes(sizes);
        await Task.WhenAll(Enumerable.Range(100, 64).Select(async id =>
        {
            await Task.Yield();
            var turn = await factory.GroupCommit!.EnterAsync(CancellationToken.None);
            try
            {
                await InsertAsync(turn, id);
                // A command's own work takes a while, so the others queue behind it as they do under load.
                await Task.Delay(2);
                // Every fifth fails after writing: its row must not survive, the others' must.
                if (id % 5 == 0) throw new InvalidOperationException("refused");
                await turn.CommitAsync();
            }
            catch (InvalidOperationException)
            {
                await turn.RollbackAsync();
            }
        }));
        var expected = Enumerable.Range(100, 64).Where(id => id % 5 != 0).Select(id => (long)id).ToArray();
        Assert.Equal(expected, await CommittedAsync());
        lock (sizes)
        {
            Assert.All(sizes, size => Assert.InRange(size, 1, 8));
            Assert.Contains(sizes, size => size > 1);
        }
    }

    // Process-wide: other tests' batches are recorded too, which only adds sizes (the assertions look for ours).
    private static MeterListener BatchSizes(List<long> sizes)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == Telemetry.Name && instrument.Name == "referralnetwork.db.commit.batch_size") l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            lock (sizes) sizes.Add(value);
        });
        listener.Start();
        return listener;
    }
}

public sealed class GroupCommitTestsSqlite : GroupCommitTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Sqlite;
    protected override Task<ITestDatabase> CreateDatabaseAsync() => Task.FromResult<ITestDatabase>(new SqliteTestDatabase());
}

public sealed class GroupCommitTestsPostgres : GroupCommitTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
    protected override async Task<ITestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
