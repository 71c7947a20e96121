using System.Data.Common;
using System.Diagnostics;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Infrastructure.Persistence;

/// <summary>Settings under <c>Database:GroupCommit:</c> (issue 20).</summary>
public sealed class GroupCommitOptions
{
    /// <summary>Commands share commits (the default). Off, every command commits alone, as before issue 20.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>At most this many commands share one commit.</summary>
    public int MaxBatch { get; set; } = 64;

    /// <summary>
    /// At most this long (milliseconds) from the end of a batch's first command to the batch's commit while more commands
    /// keep arriving: the longest a finished command waits for company. A command that finds nobody waiting behind it
    /// commits at once: a lone request never waits for company.
    /// </summary>
    public double MaxWaitMilliseconds { get; set; } = 4;

    /// <summary>
    /// PostgreSQL and SQL Server: how many batching writers (each one connection) the process runs side by side. SQLite
    /// lets one transaction write at a time, so it always has one. More than one lets commands of one process wait on
    /// each other's uncommitted rows (a lane's open batch holds the locks of all its commands) and, rarely, deadlock
    /// (PostgreSQL breaks it after deadlock_timeout, the loser is answered 503): hence 1 by default.
    /// </summary>
    public int Lanes { get; set; } = 1;

    /// <summary>SQLite: the writer connection's page cache, in MiB (SQLite's default is 2).</summary>
    public int SqliteCacheMebibytes { get; set; } = 32;
}

/// <summary>
/// Thrown to every command of a batch whose commit failed, or whose transaction the database threw away (SQLite rolls a
/// whole transaction back after a full disk or an I/O error): none of them is acknowledged. The database's own exception
/// is the inner one, so <see cref="DatabaseFailures"/> still tells a full disk from a lost connection.
/// </summary>
public sealed class GroupCommitFailedException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Group commit (issue 20). A durable commit costs one fsync, so one commit per command caps the process at the disk's
/// fsync rate. Here commands take turns on a writer's one connection, each inside its own SAVEPOINT of one open
/// transaction: a command that fails rolls back to its savepoint alone and gets its own answer, one that succeeds releases
/// its savepoint and waits. The transaction commits once for all of them — when <see cref="GroupCommitOptions.MaxBatch"/>
/// commands have joined, when the batch is <see cref="GroupCommitOptions.MaxWaitMilliseconds"/> old, or when nobody is
/// waiting for the turn — and only then is every command of the batch answered. So an answer still means "committed":
/// a crash loses only commands nobody was told about. If the commit fails, all of them fail (503) and none is answered
/// as done.
/// <para>Only commands join batches (<see cref="IDbSession.BeginAsync"/> with grouped). Background workers keep their own
/// transactions; on SQLite they first take the writer's turn and commit what is open (<see cref="ExclusiveAsync"/>), as
/// any other write outside a batch must, since the open batch holds SQLite's write lock.</para>
/// </summary>
public sealed class GroupCommitWriter : IAsyncDisposable
{
    private readonly Lane[] _lanes;
    private int _next;

    public GroupCommitWriter(ConnectionFactory factory, GroupCommitOptions options)
    {
        Options = options;
        var lanes = factory.Provider == DatabaseProvider.Sqlite ? 1 : Math.Clamp(options.Lanes, 1, 64);
        _lanes = Enumerable.Range(0, lanes).Select(_ => new Lane(factory, options)).ToArray();
    }

    public GroupCommitOptions Options { get; }

    public int LaneCount => _lanes.Length;

    /// <summary>Joins a batch: waits for a writer's turn and opens the command's savepoint on its connection.</summary>
    /// <paramref name="alone"/>: the command may run long (a streamed upload); the open batch commits before it starts,
    /// and it commits on its own.
    public ValueTask<WriterTurn> EnterAsync(CancellationToken ct, bool alone = false) => Pick().EnterAsync(ct, alone);

    /// <summary>
    /// For a write that cannot join a batch (a worker's own transaction, a cosignature) on SQLite: takes the first
    /// writer's turn, commits its open batch, and keeps the turn until the returned slot is disposed.
    /// </summary>
    public ValueTask<IAsyncDisposable> ExclusiveAsync(CancellationToken ct) => _lanes[0].ExclusiveAsync(ct);

    // A free writer if there is one, else the one with the shortest queue.
    private Lane Pick()
    {
        if (_lanes.Length == 1) return _lanes[0];
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)_lanes.Length);
        Lane best = _lanes[start];
        for (var i = 0; i < _lanes.Length; i++)
        {
            var lane = _lanes[(start + i) % _lanes.Length];
            if (lane.Queue == 0) return lane;
            if (lane.Queue < best.Queue) best = lane;
        }
        return best;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lane in _lanes) await lane.DisposeAsync();
    }

    internal sealed class Batch
    {
        private readonly TaskCompletionSource _durable = new(TaskCreationOptions.RunContinuationsAsynchronously);
        /// <summary>When its first command finished: the longest any command of it waits for company is measured from here.</summary>
        public long FirstDoneAt { get; set; }
        public int Members { get; set; }
        public bool FlushScheduled { get; set; }
        public Task Durable => _durable.Task;
        public void Succeed() => _durable.TrySetResult();
        public void Fail(Exception e) => _durable.TrySetException(e);
    }

    internal sealed class Lane(ConnectionFactory factory, GroupCommitOptions options) : IAsyncDisposable
    {
        private readonly SemaphoreSlim _turn = new(1, 1);
        private int _queue;
        private DbConnection? _connection;
        private DbTransaction? _transaction;
        private Batch? _batch;
        private long _savepoints;

        /// <summary>Commands holding or waiting for the turn.</summary>
        public int Queue => Volatile.Read(ref _queue);

        // The safety-net flush takes the turn uncounted: a command behind it would otherwise think it has company.
        private async ValueTask TakeTurnAsync(CancellationToken ct, bool counted = true)
        {
            if (counted) Interlocked.Increment(ref _queue);
            bool taken;
            try
            {
                taken = await _turn.WaitAsync(factory.WriteGateTimeout, ct);
            }
            catch
            {
                if (counted) Interlocked.Decrement(ref _queue);
                throw;
            }
            if (!taken)
            {
                if (counted) Interlocked.Decrement(ref _queue);
                throw new TimeoutException($"No database write slot within {factory.WriteGateTimeout.TotalSeconds:0} s.");
            }
        }

        private void ReleaseTurn(bool counted = true)
        {
            if (counted) Interlocked.Decrement(ref _queue);
            _turn.Release();
        }

        public async ValueTask<WriterTurn> EnterAsync(CancellationToken ct, bool alone)
        {
            await TakeTurnAsync(ct);
            try
            {
                // Finished commands wait for the next one's whole run: not when it may run long (it commits alone), nor
                // when they have waited their MaxWait already.
                if (_batch is { Members: > 0 } open
                    && (alone || Stopwatch.GetElapsedTime(open.FirstDoneAt).TotalMilliseconds >= options.MaxWaitMilliseconds))
                    await CommitBatchAsync();
                if (_transaction is null)
                {
                    // Tests inject faults into the connections opened while a fault is set: a test-only factory gets a
                    // fresh connection per batch, so the writer's follows suit. Production keeps its one connection.
                    if (factory.Faults is not null) await CloseConnectionAsync();
                    _connection ??= await OpenAsync();
                    _transaction = await _connection.BeginTransactionAsync(CancellationToken.None);
                    _batch = new Batch();
                }
                var savepoint = "rn_" + (++_savepoints).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await _transaction.SaveAsync(savepoint, CancellationToken.None);
                return new WriterTurn(this, _connection!, _transaction, _batch!, savepoint, alone);
            }
            catch (Exception e)
            {
                try
                {
                    await AbandonAsync(e);
                }
                finally
                {
                    ReleaseTurn();
                }
                throw;
            }
        }

        // SQLite: every command of the process writes through this one connection, so its page cache (2 MiB by default)
        // is what keeps the indexes' hot pages from being read again from the file for every command.
        private async Task<DbConnection> OpenAsync()
        {
            var connection = await factory.OpenAsync(CancellationToken.None);
            if (factory.Provider == DatabaseProvider.Sqlite && options.SqliteCacheMebibytes > 0)
            {
                await using var pragma = connection.CreateCommand();
                pragma.CommandText = $"PRAGMA cache_size=-{options.SqliteCacheMebibytes * 1024}";
                await pragma.ExecuteNonQueryAsync(CancellationToken.None);
            }
            return connection;
        }

        public async ValueTask<IAsyncDisposable> ExclusiveAsync(CancellationToken ct)
        {
            await TakeTurnAsync(ct);
            try
            {
                if (_batch is { Members: > 0 }) await CommitBatchAsync();
                else if (_batch is not null) await EndEmptyBatchAsync();
            }
            catch
            {
                ReleaseTurn();
                throw;
            }
            return new WriteSlot(() => ReleaseTurn());
        }

        /// <summary>The command succeeded: release its savepoint, commit the batch or leave it to the next, wait until durable.</summary>
        internal async ValueTask CompleteAsync(WriterTurn turn)
        {
            var batch = turn.Batch;
            try
            {
                await turn.Transaction.ReleaseAsync(turn.Savepoint, CancellationToken.None);
                if (++batch.Members == 1) batch.FirstDoneAt = Stopwatch.GetTimestamp();
                // The caller itself is still counted in the queue.
                var nobodyWaiting = Queue <= 1;
                if (nobodyWaiting || turn.Alone || batch.Members >= options.MaxBatch
                    || Stopwatch.GetElapsedTime(batch.FirstDoneAt).TotalMilliseconds >= options.MaxWaitMilliseconds)
                    await CommitBatchAsync();
                else EnsureFlush(batch);
            }
            catch (Exception e)
            {
                await AbandonAsync(e);
            }
            finally
            {
                ReleaseTurn();
            }
            var waitedFrom = Stopwatch.GetTimestamp();
            await batch.Durable;
            Telemetry.CommitWait.Record(Stopwatch.GetElapsedTime(waitedFrom).TotalSeconds);
        }

        /// <summary>The command failed: undo what it did, and only that.</summary>
        internal async ValueTask RollbackAsync(WriterTurn turn)
        {
            try
            {
                // Fails when the database already threw the whole transaction away (SQLite after SQLITE_FULL or an
                // interrupt; a broken connection): then the batch is lost and its other commands fail too.
                await turn.Transaction.RollbackAsync(turn.Savepoint, CancellationToken.None);
                await turn.Transaction.ReleaseAsync(turn.Savepoint, CancellationToken.None);
                // A batch none of whose commands succeeded is ended at once: an open transaction keeps SQLite's write
                // lock from every other connection. One with finished commands is committed now when nobody waits, and
                // is otherwise sure to have its safety-net flush.
                if (turn.Batch.Members == 0) await EndEmptyBatchAsync();
                else if (Queue <= 1) await CommitBatchAsync();
                else EnsureFlush(turn.Batch);
            }
            catch (Exception e)
            {
                await AbandonAsync(e);
            }
            finally
            {
                ReleaseTurn();
            }
        }

        // A safety net: normally a later command commits the batch long before this fires.
        private void EnsureFlush(Batch batch)
        {
            if (batch.FlushScheduled) return;
            batch.FlushScheduled = true;
            _ = FlushLaterAsync(batch);
        }

        private async Task FlushLaterAsync(Batch batch)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, options.MaxWaitMilliseconds)));
                await TakeTurnAsync(CancellationToken.None, counted: false);
                try
                {
                    if (ReferenceEquals(_batch, batch)) await CommitBatchAsync();
                }
                finally
                {
                    ReleaseTurn(counted: false);
                }
            }
            catch (Exception)
            {
                // No turn within the write-slot timeout (or a failure the commit already reported to the batch): the
                // batch's next command, or the next flush, commits it.
                batch.FlushScheduled = false;
            }
        }

        // Holding the turn. Never throws: the batch's commands learn the outcome from the batch.
        private async ValueTask CommitBatchAsync()
        {
            var batch = _batch!;
            var transaction = _transaction!;
            _batch = null;
            _transaction = null;
            try
            {
                await transaction.CommitAsync(CancellationToken.None);
            }
            catch (Exception e)
            {
                batch.Fail(new GroupCommitFailedException($"The commit of {batch.Members} command(s) failed.", e));
                await DiscardAsync(transaction);
                Observe(e);
                await CloseConnectionAsync();
                return;
            }
            batch.Succeed();
            Telemetry.CommitBatchSize.Record(batch.Members);
            try
            {
                await transaction.DisposeAsync();
            }
            catch (Exception)
            {
                // Committed: a failure to tidy up the transaction object changes nothing that was stored.
            }
        }

        private void Observe(Exception e)
        {
            try
            {
                factory.Observe(e);
            }
            catch (Exception)
            {
            }
        }

        // Holding the turn: a batch none of whose commands succeeded has nothing to commit.
        private async ValueTask EndEmptyBatchAsync()
        {
            var transaction = _transaction!;
            _batch = null;
            _transaction = null;
            try
            {
                await transaction.RollbackAsync(CancellationToken.None);
                await transaction.DisposeAsync();
            }
            catch (Exception e)
            {
                Observe(e);
                await DiscardAsync(transaction);
                await CloseConnectionAsync();
            }
        }

        // Holding the turn: the open transaction is lost; every command already in it fails.
        private async ValueTask AbandonAsync(Exception e)
        {
            var batch = _batch;
            var transaction = _transaction;
            _batch = null;
            _transaction = null;
            batch?.Fail(new GroupCommitFailedException($"The transaction of {batch.Members} command(s) was lost.", e));
            Observe(e);
            if (transaction is not null) await DiscardAsync(transaction);
            await CloseConnectionAsync();
        }

        private static async ValueTask DiscardAsync(DbTransaction transaction)
        {
            try
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
            catch (Exception)
            {
                // Tidying up after a failure: the failure that led here is the one reported.
            }
            try
            {
                await transaction.DisposeAsync();
            }
            catch (Exception)
            {
                // Tidying up after a failure: the failure that led here is the one reported.
            }
        }

        // After a failure the connection may be broken or in a state nobody should build on: the next batch opens a new one.
        private async ValueTask CloseConnectionAsync()
        {
            var connection = _connection;
            _connection = null;
            if (connection is null) return;
            try
            {
                await connection.DisposeAsync();
            }
            catch (Exception)
            {
                // Tidying up after a failure: the failure that led here is the one reported.
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await TakeTurnAsync(CancellationToken.None);
            }
            catch (TimeoutException)
            {
                return;
            }
            try
            {
                if (_batch is not null) await CommitBatchAsync();
                await CloseConnectionAsync();
            }
            finally
            {
                ReleaseTurn();
            }
        }
    }
}

/// <summary>The right to write outside a batch, given back once, when disposed.</summary>
internal sealed class WriteSlot(Action release) : IAsyncDisposable
{
    private int _released;

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) release();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A command's place in a batch: the writer's connection and transaction, and the command's savepoint.</summary>
public sealed class WriterTurn
{
    private readonly GroupCommitWriter.Lane _lane;
    private int _ended;

    internal WriterTurn(GroupCommitWriter.Lane lane, DbConnection connection, DbTransaction transaction, GroupCommitWriter.Batch batch, string savepoint,
        bool alone)
    {
        Alone = alone;
        _lane = lane;
        Connection = connection;
        Transaction = transaction;
        Batch = batch;
        Savepoint = savepoint;
    }

    public DbConnection Connection { get; }
    public DbTransaction Transaction { get; }
    internal GroupCommitWriter.Batch Batch { get; }
    internal string Savepoint { get; }

    /// <summary>The command commits on its own: it may run long (a streamed upload), and nobody should wait for it.</summary>
    internal bool Alone { get; }

    /// <summary>Returns once the batch holding this command committed; throws when it did not.</summary>
    public ValueTask CommitAsync() =>
        Interlocked.Exchange(ref _ended, 1) == 0 ? _lane.CompleteAsync(this) : throw new InvalidOperationException("This command's turn has ended.");

    public ValueTask RollbackAsync() => Interlocked.Exchange(ref _ended, 1) == 0 ? _lane.RollbackAsync(this) : ValueTask.CompletedTask;
}
