namespace ReferralNetwork.Application.Features.Audit;

/// <summary>A row of <c>audit_checkpoints</c> (0004_audit_checkpoints.sql).</summary>
public sealed record CheckpointRow
{
    public long Sequence { get; init; }
    public long TreeSize { get; init; }
    public long EventCount { get; init; }
    public string RootHash { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public string KeyId { get; init; } = "";
    public string Signature { get; init; } = "";
    public long? PreviousSequence { get; init; }
    public string? PreviousRootHash { get; init; }

    public const string Columns = """
        sequence, tree_size AS TreeSize, event_count AS EventCount, root_hash AS RootHash, created_at AS CreatedAt, key_id AS KeyId,
        signature, previous_sequence AS PreviousSequence, previous_root_hash AS PreviousRootHash
        """;
}

/// <summary>A row of <c>audit_checkpoint_heads</c>: a head that checkpoint sealed, new or moved since its predecessor.</summary>
public sealed record CheckpointHeadRow
{
    public long CheckpointSequence { get; init; }
    public string StreamId { get; init; } = "";
    public long Seq { get; init; }
    public string Hash { get; init; } = "";
}

public static class CheckpointSql
{
    /// <summary>
    /// The full snapshot sealed by checkpoint @Upto, rebuilt from the delta rows: per stream, the row of the greatest
    /// checkpoint up to @Upto. Columns StreamId, Seq, Hash.
    /// </summary>
    public const string SnapshotUpTo = """
        SELECT h.stream_id AS StreamId, h.seq AS Seq, h.hash AS Hash
        FROM audit_checkpoint_heads h
        JOIN (SELECT stream_id, MAX(checkpoint_sequence) AS latest FROM audit_checkpoint_heads
              WHERE checkpoint_sequence <= @Upto GROUP BY stream_id) m
          ON m.stream_id = h.stream_id AND m.latest = h.checkpoint_sequence
        """;
}
