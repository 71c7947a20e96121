namespace ReferralNetwork.Application.Features.Audit;

/// <summary>The key checkpoints are signed with, as auditors fetch it (PEM SubjectPublicKeyInfo).</summary>
public sealed record CheckpointPublicKeyView(string KeyId, string Algorithm, string SignatureFormat, string PublicKeyPem, IReadOnlyList<string> PreviousKeyIds);

/// <summary>Publishes the checkpoint signing key's public half (the private key never leaves the process).</summary>
public interface ICheckpointPublicKey
{
    CheckpointPublicKeyView PublicKey { get; }
}

/// <summary>Why verification failed at a place; the wire codes of <see cref="AuditBreak.Reason"/>.</summary>
public static class AuditBreakReasons
{
    /// <summary>The event's stored hash is not SHA-256(prevHash ‖ canonical JSON of the event): its content changed.</summary>
    public const string HashMismatch = "hash_mismatch";
    /// <summary>The event's prevHash is not the hash of the event before it: events were reordered or replaced.</summary>
    public const string PrevHashMismatch = "prev_hash_mismatch";
    /// <summary>A seq is missing (seq is contiguous from 1): an event was deleted.</summary>
    public const string SeqGap = "seq_gap";
    /// <summary>The stream's head row does not name its last event: the newest events were deleted (or the head forged).</summary>
    public const string HeadMismatch = "head_mismatch";
    /// <summary>A stream a head row or a checkpoint knows has no events any more.</summary>
    public const string MissingStream = "missing_stream";
    /// <summary>A checkpoint's signature does not verify with any trusted public key.</summary>
    public const string CheckpointSignatureInvalid = "checkpoint_signature_invalid";
    /// <summary>A checkpoint covers fewer streams (or events) than its predecessor.</summary>
    public const string CheckpointTreeShrank = "checkpoint_tree_shrank";
    /// <summary>A checkpoint disagrees with its predecessor, its sealed heads, or the events as they are now.</summary>
    public const string CheckpointInconsistent = "checkpoint_inconsistent";
    /// <summary>A row an auditor reads (a responsibility period, a duty, a breach) is not what the referral's events say:
    /// it was edited, deleted or added behind the API's back. The detail names the table, the row and the fields.</summary>
    public const string ProjectionMismatch = "projection_mismatch";
    /// <summary>The checkpoint an auditor kept outside the database (<c>?checkpoint=&amp;root=</c>) is missing or has another root:
    /// the checkpoints were rolled back behind it, or rewritten.</summary>
    public const string AnchorMismatch = "anchor_mismatch";
    /// <summary>A stored value cannot be read as its column's type (a time that is no time, an id that is no id): the
    /// table was written outside the API. Verify stops there; the detail names the table.</summary>
    public const string UnreadableRow = "unreadable_row";
}

/// <summary>One place where the audit trail does not verify. Stream problems name streamId and seq; checkpoint
/// problems name the checkpoint's sequence (and the stream when a sealed head no longer matches).</summary>
public sealed record AuditBreak(string Reason, string? StreamId, long? Seq, long? Checkpoint, string Detail);

/// <param name="ReferralsReplayed">Referrals whose events were replayed against the projection tables (or that have rows there).</param>
/// <param name="LatestCheckpoint">The newest checkpoint: what an auditor copies as an anchor once verify says ok.</param>
/// <param name="Anchor">The anchor the request named, and whether the database still holds it; null without one.</param>
public sealed record AuditVerificationView(
    bool Ok, long EventsChecked, long StreamsChecked, long CheckpointsChecked, AuditBreak? FirstBroken, IReadOnlyList<AuditBreak> Problems,
    bool ProblemsTruncated, long ElapsedMs, long ReferralsReplayed, CheckpointAnchor? LatestCheckpoint, AuditAnchorView? Anchor)
{
    /// <summary>The transparency log's part (issue 19); <see cref="Ok"/> is false when it has problems too.</summary>
    public LogVerificationView? Log { get; init; }
}

/// <summary>A checkpoint as an auditor keeps it outside the database: its sequence and signed Merkle root (hex).</summary>
public sealed record CheckpointAnchor(long Checkpoint, string Root);

/// <summary>The outcome of verifying against an anchor: ok when the checkpoint exists, has that root, and the root
/// recomputed over its sealed heads is that root too.</summary>
public sealed record AuditAnchorView(long Checkpoint, string Root, bool Ok, string Detail);

/// <summary>Re-checks every hash chain and every checkpoint (implemented beside the chain code in Infrastructure).</summary>
public interface IAuditVerifier
{
    /// <param name="everyRoot">Recompute the Merkle root of every checkpoint, not only the latest one (slower: O(checkpoints × streams)).</param>
    /// <param name="anchor">A checkpoint the auditor kept: verify fails unless the database still holds it, root and sealed heads.</param>
    Task<AuditVerificationView> VerifyAsync(bool everyRoot, CheckpointAnchor? anchor, CancellationToken ct);
}
