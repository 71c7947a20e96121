using Dapper;
using Microsoft.Extensions.Logging;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Audit;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>What one checkpoint run did: sealed a new checkpoint, or found the heads unchanged since the latest.</summary>
public sealed record CheckpointOutcome(CheckpointRow? Checkpoint, bool Written);

/// <summary>
/// Seals the current stream heads into a signed checkpoint (DESIGN §6). In one transaction: read the latest
/// checkpoint and the heads, rebuild the latest sealed snapshot, refuse to seal a history that went backwards, build
/// the Merkle root over all heads, sign, insert the checkpoint with sequence = latest + 1 and the heads that are new
/// or moved. Two replicas sealing at once collide on the sequence's primary key (and the unique previous_sequence);
/// the loser rolls back and tries again on top of the winner's checkpoint, or finds nothing left to seal.
/// </summary>
public sealed class CheckpointWriter(ConnectionFactory factory, CheckpointKeys keys, Clock clock, ILogger<CheckpointWriter> logger)
{
    private const int Attempts = 10;
    private const int HeadsPerInsert = 100;

    public async Task<CheckpointOutcome> WriteAsync(CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = new DbSession(factory);
            await using var work = await UnitOfWork.BeginAsync(session, ct);
            try
            {
                var outcome = await SealAsync(work.Connection, work.Transaction, ct);
                if (outcome.Written) await work.CommitAsync(ct);
                return outcome;
            }
            catch (Exception e) when (factory.Dialect.IsUniqueViolation(e) && attempt < Attempts)
            {
                logger.LogInformation("Another replica sealed the same checkpoint first; retrying on top of it (attempt {Attempt}).", attempt);
            }
        }
    }

    /// <summary>
    /// Now, or the latest checkpoint's time if the clock stands behind it (stepped back by NTP, a replica's clock behind
    /// the other's): checkpoint times never decrease, so "sealed at" orders the checkpoints as their sequence does.
    /// </summary>
    private DateTimeOffset NotBefore(DateTimeOffset? latest)
    {
        var now = clock.Now();
        if (latest is not { } previous || now >= previous) return now;
        logger.LogWarning("The clock ({Now:O}) is behind the latest checkpoint ({Latest:O}); sealing at the latest checkpoint's time.", now, previous);
        return previous;
    }

    private async Task<CheckpointOutcome> SealAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, CancellationToken ct)
    {
        var latest = await connection.QuerySingleOrDefaultAsync<CheckpointRow>(new CommandDefinition(
            $"SELECT {CheckpointRow.Columns} FROM audit_checkpoints ORDER BY sequence DESC {factory.Dialect.Limit("1")}", transaction: transaction, cancellationToken: ct));
        var heads = (await connection.QueryAsync<StreamHead>(new CommandDefinition(
            "SELECT stream_id AS StreamId, seq AS Seq, hash AS Hash FROM audit_stream_heads", transaction: transaction, cancellationToken: ct))).ToList();
        var root = Convert.ToHexStringLower(MerkleTree.Root(heads));
        if (latest is not null && latest.RootHash == root && latest.TreeSize == heads.Count) return new CheckpointOutcome(latest, false);

        var sealedHeads = latest is null ? new Dictionary<string, StreamHead>(StringComparer.Ordinal) : (await connection.QueryAsync<StreamHead>(new CommandDefinition(
            CheckpointSql.SnapshotUpTo, new { Upto = latest.Sequence }, transaction, cancellationToken: ct))).ToDictionary(h => h.StreamId, StringComparer.Ordinal);
        var current = heads.ToDictionary(h => h.StreamId, StringComparer.Ordinal);
        foreach (var before in sealedHeads.Values)
        {
            // Heads only move forward. Sealing a stream that vanished, shrank or was rewritten would bless tampering.
            if (!current.TryGetValue(before.StreamId, out var now) || now.Seq < before.Seq || (now.Seq == before.Seq && now.Hash != before.Hash))
                throw new InvalidOperationException(
                    $"Refusing to checkpoint: stream {before.StreamId} was sealed at seq {before.Seq} by checkpoint {latest!.Sequence} and is now {(now.StreamId is null ? "gone" : $"at seq {now.Seq}")}. Run GET /api/v1/audit/verify.");
        }
        var delta = heads.Where(h => !sealedHeads.TryGetValue(h.StreamId, out var before) || before.Seq != h.Seq).ToList();

        var statement = new CheckpointStatement((latest?.Sequence ?? 0) + 1, heads.Count, heads.Sum(h => h.Seq), root, NotBefore(latest?.CreatedAt), keys.KeyId,
            latest?.Sequence, latest?.RootHash);
        var row = new CheckpointRow
        {
            Sequence = statement.Sequence, TreeSize = statement.TreeSize, EventCount = statement.EventCount, RootHash = root, CreatedAt = statement.CreatedAt,
            KeyId = keys.KeyId, Signature = keys.Sign(statement.ToBytes()), PreviousSequence = latest?.Sequence, PreviousRootHash = latest?.RootHash,
        };
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO audit_checkpoints (sequence, tree_size, event_count, root_hash, created_at, key_id, signature, previous_sequence, previous_root_hash)
            VALUES (@Sequence, @TreeSize, @EventCount, @RootHash, @CreatedAt, @KeyId, @Signature, @PreviousSequence, @PreviousRootHash)
            """, row, transaction, cancellationToken: ct));
        // A hundred heads per statement (portable multi-row VALUES, within SQL Server's 2,100 parameters): the first
        // checkpoint of a large log seals every stream.
        foreach (var chunk in delta.Chunk(HeadsPerInsert))
        {
            var parameters = new DynamicParameters(new { Checkpoint = row.Sequence });
            var values = chunk.Select((h, i) =>
            {
                parameters.Add($"s{i}", h.StreamId);
                parameters.Add($"q{i}", h.Seq);
                parameters.Add($"h{i}", h.Hash);
                return $"(@Checkpoint, @s{i}, @q{i}, @h{i})";
            }).ToList();
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO audit_checkpoint_heads (checkpoint_sequence, stream_id, seq, hash) VALUES {string.Join(", ", values)}",
                parameters, transaction, cancellationToken: ct));
        }
        logger.LogInformation("Sealed audit checkpoint {Sequence}: {Streams} streams, {Events} events, root {Root}.", row.Sequence, row.TreeSize, row.EventCount, root);
        return new CheckpointOutcome(row, true);
    }
}
