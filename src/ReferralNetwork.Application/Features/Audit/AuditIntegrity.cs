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
}

/// <summary>One place where the audit trail does not verify. Stream problems name streamId and seq; checkpoint
/// problems name the checkpoint's sequence (and the stream when a sealed head no longer matches).</summary>
public sealed record AuditBreak(string Reason, string? StreamId, long? Seq, long? Checkpoint, string Detail);

public sealed record AuditVerificationView(
    bool Ok, long EventsChecked, long StreamsChecked, long CheckpointsChecked, AuditBreak? FirstBroken, IReadOnlyList<AuditBreak> Problems,
    bool ProblemsTruncated, long ElapsedMs)
{
    /// <summary>The transparency log's part (issue 19); <see cref="Ok"/> is false when it has problems too.</summary>
    public LogVerificationView? Log { get; init; }
}

/// <summary>Re-checks every hash chain and every checkpoint (implemented beside the chain code in Infrastructure).</summary>
public interface IAuditVerifier
{
    /// <param name="everyRoot">Recompute the Merkle root of every checkpoint, not only the latest one (slower: O(checkpoints × streams)).</param>
    Task<AuditVerificationView> VerifyAsync(bool everyRoot, CancellationToken ct);
}
