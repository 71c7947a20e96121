using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Persistence;
using ReferralNetwork.Transparency;

namespace ReferralNetwork.Infrastructure.Audit.Log;

/// <summary>
/// Appends audit events to the transparency log: gives each a log index, contiguous from 0, and stores the hashes of
/// every perfect subtree the new leaves complete (leaf = SHA-256(0x00 ‖ the event's 32-byte chain hash)).
/// <para>
/// Why indices are not global_seq, and are assigned here rather than at insert: on PostgreSQL and SQL Server
/// <c>global_seq</c> is drawn when the row is inserted, and transactions commit in any order, so a reader can see
/// event 7 committed while event 6 is still in flight (or will roll back, leaving a gap for ever). A log whose index
/// 6 appeared after index 7 had been proven would not be append-only. So the sequencer first waits until every write
/// of an audit event in flight has finished and holds new ones back for the few milliseconds it runs:
/// </para>
/// <list type="bullet">
/// <item>PostgreSQL: <c>LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE</c> conflicts with the ROW EXCLUSIVE lock
/// every INSERT holds until its transaction ends (and with itself, so two sequencers take turns). An INSERT takes its
/// table lock before it draws its identity value, so once the lock is held every event already drawn is committed or
/// rolled back, and every later one draws a larger global_seq (identity columns draw one value at a time here).</item>
/// <item>SQLite: one writer at a time (the process's write gate, then BEGIN IMMEDIATE), and global_seq is drawn
/// inside that writer's transaction, so commits are already in global_seq order.</item>
/// <item>SQL Server: <c>WITH (TABLOCKX, HOLDLOCK)</c> on audit_events, which waits for the IX locks of inserting
/// transactions and blocks new ones until commit (readers under READ_COMMITTED_SNAPSHOT are not blocked).</item>
/// </list>
/// Under that lock every event with a global_seq above the log's highest one is committed and visible, and none below
/// it can appear later, so the log takes them in global_seq order (which within a stream is seq order). The primary
/// key on log_index and the unique global_seq are the last line: a second sequencer that got in anyway fails and
/// retries on top. Work goes in batches so a large backlog (a bulk load) never holds the lock for long.
/// </summary>
public sealed class LogSequencer(ConnectionFactory factory, ILogger<LogSequencer> logger)
{
    public const int BatchSize = 5_000;
    private const int RowsPerInsert = 100;
    private const int Attempts = 5;

    /// <summary>Sequences every committed event not yet in the log; returns the log's size.</summary>
    public async Task<long> SequenceAsync(CancellationToken ct)
    {
        while (true)
        {
            var (size, added) = await WithRetryAsync(ct);
            if (added < BatchSize) return size;
        }
    }

    private async Task<(long Size, int Added)> WithRetryAsync(CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await BatchAsync(ct);
            }
            catch (Exception e) when (factory.Dialect.IsUniqueViolation(e) && attempt < Attempts)
            {
                logger.LogInformation("Another sequencer extended the audit log first; retrying on top of it (attempt {Attempt}).", attempt);
            }
        }
    }

    private async Task<(long Size, int Added)> BatchAsync(CancellationToken ct)
    {
        await using var session = new DbSession(factory);
        await using var work = await UnitOfWork.BeginAsync(session, ct);
        var (connection, transaction) = (work.Connection, work.Transaction);
        await LockAppendsAsync(connection, transaction, ct);
        var (size, watermark) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
            "SELECT COALESCE(MAX(log_index) + 1, 0), COALESCE(MAX(global_seq), 0) FROM audit_log_entries", transaction: transaction, cancellationToken: ct));
        var events = (await connection.QueryAsync<(long GlobalSeq, string Hash)>(new CommandDefinition($"""
            SELECT global_seq, hash FROM audit_events WHERE global_seq > @Watermark ORDER BY global_seq {factory.Dialect.Limit("@Take")}
            """, new { Watermark = watermark, Take = BatchSize }, transaction, cancellationToken: ct))).ToList();
        if (events.Count == 0) return (size, 0);

        var frontier = new LogFrontier(size, await LogNodes.ReadAsync(connection, transaction, LogFrontier.EdgeOf(size), ct));
        var entries = new List<(long Index, long GlobalSeq)>(events.Count);
        var nodes = new List<(TreeNode Node, byte[] Hash)>(events.Count * 2);
        foreach (var e in events)
        {
            entries.Add((frontier.Size, e.GlobalSeq));
            nodes.AddRange(frontier.Append(LogTree.LeafHash(Convert.FromHexString(e.Hash))));
        }
        await InsertAsync(connection, transaction, "audit_log_entries (log_index, global_seq)", entries,
            (p, i, row) => { p.Add($"a{i}", row.Index); p.Add($"b{i}", row.GlobalSeq); return $"(@a{i}, @b{i})"; }, ct);
        await InsertAsync(connection, transaction, "audit_log_nodes (level, node_index, hash)", nodes,
            (p, i, row) => { p.Add($"l{i}", row.Node.Level); p.Add($"n{i}", row.Node.Index); p.Add($"h{i}", Convert.ToHexStringLower(row.Hash)); return $"(@l{i}, @n{i}, @h{i})"; }, ct);
        await work.CommitAsync(ct);
        logger.LogDebug("Appended {Count} audit events to the log: size {Size}.", events.Count, frontier.Size);
        return (frontier.Size, events.Count);
    }

    private Task LockAppendsAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct) => factory.Provider switch
    {
        DatabaseProvider.Postgres => connection.ExecuteAsync(new CommandDefinition(
            "SET LOCAL lock_timeout = '30s'; LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE", transaction: transaction, cancellationToken: ct)),
        DatabaseProvider.SqlServer => connection.ExecuteAsync(new CommandDefinition(
            "SELECT COUNT(*) FROM audit_events WITH (TABLOCKX, HOLDLOCK) WHERE 1 = 0", transaction: transaction, cancellationToken: ct)),
        // SQLite: the write gate and BEGIN IMMEDIATE already make this the only writer.
        _ => Task.CompletedTask,
    };

    private static async Task InsertAsync<T>(DbConnection connection, DbTransaction transaction, string target, IReadOnlyList<T> rows,
        Func<DynamicParameters, int, T, string> values, CancellationToken ct)
    {
        foreach (var chunk in rows.Chunk(RowsPerInsert))
        {
            var parameters = new DynamicParameters();
            var tuples = chunk.Select((row, i) => values(parameters, i, row)).ToList();
            await connection.ExecuteAsync(new CommandDefinition($"INSERT INTO {target} VALUES {string.Join(", ", tuples)}", parameters, transaction, cancellationToken: ct));
        }
    }
}
