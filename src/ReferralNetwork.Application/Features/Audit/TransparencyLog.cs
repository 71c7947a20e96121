namespace ReferralNetwork.Application.Features.Audit;

/// <summary>An RFC 9162 inclusion proof: the hashes from the leaf's sibling up to the root's child, base64.</summary>
public sealed record InclusionProofView(long Index, long Size, IReadOnlyList<string> Hashes, long EventId, string LeafHash);

/// <summary>An RFC 9162 consistency proof from tree size <c>from</c> to <c>to</c>, base64 hashes.</summary>
public sealed record ConsistencyProofView(long From, long To, IReadOnlyList<string> Hashes);

/// <summary>The newest signed tree head as a C2SP signed note, with every witness cosignature the log holds for it.</summary>
public sealed record SignedTreeHeadView(long Size, string RootHash, string Note, IReadOnlyList<string> CosignedBy, DateTimeOffset CreatedAt);

/// <summary>
/// A configured witness: its key, the largest size it cosigned (as stored here), whether it cosigned the newest head,
/// and — in verify, asked live — the size of the newest checkpoint the witness itself holds for this log, and how the
/// witness last answered.
/// </summary>
public sealed record WitnessView(string Name, string VerifierKey, long? LatestCosignedSize, bool CosignedNewestHead, long? WitnessReportsSize = null,
    string? LastAnswer = null);

/// <summary>The log's identity and state: origin, verifier key (vkey), sizes, newest head, witnesses.</summary>
public sealed record TransparencyLogView(string Origin, string VerifierKey, long Size, long SignedSize, long PendingEvents, SignedTreeHeadView? NewestHead,
    IReadOnlyList<WitnessView> Witnesses);

/// <summary>
/// A receipt for one audit event. <c>status</c> is <c>pending</c> until a signed checkpoint that covers the event is
/// cosigned by the configured witnesses (by the log alone when none is configured), then <c>ready</c> with the
/// c2sp.org/tlog-proof text in <c>proof</c>.
/// </summary>
public sealed record AuditReceiptView(long EventId, string StreamId, long Seq, long? LogIndex, string Status, string? Proof);

/// <summary>One disagreement found while verifying the log (reason codes in <see cref="LogProblemReasons"/>).</summary>
public sealed record LogProblem(string Reason, long? LogIndex, long? TreeSize, string? Witness, string Detail);

public static class LogProblemReasons
{
    /// <summary>An event of the log is gone, or its chain hash is not the one the log committed to.</summary>
    public const string EntryMismatch = "log_entry_mismatch";
    /// <summary>The log's indices are not contiguous from 0, or an event is in the log twice.</summary>
    public const string IndexGap = "log_index_gap";
    /// <summary>A signed checkpoint's signature does not verify, or its note is not the checkpoint of its row.</summary>
    public const string SignatureInvalid = "log_signature_invalid";
    /// <summary>A signed root is not the root of the log's events at that size: the log was rewritten (a fork).</summary>
    public const string RootMismatch = "log_root_mismatch";
    /// <summary>A stored cosignature does not verify with its witness's key.</summary>
    public const string CosignatureInvalid = "log_cosignature_invalid";
    /// <summary>A witness has seen a larger or different tree than this log has: the log was rolled back or forked.</summary>
    public const string WitnessDisagrees = "log_witness_disagrees";
    /// <summary>The stored subtree hashes (what proofs are made of) do not give the signed root.</summary>
    public const string NodesMismatch = "log_nodes_mismatch";
}

/// <summary>What verify reports about the transparency log, and which witnesses cosigned its newest head.</summary>
public sealed record LogVerificationView(bool Ok, string Origin, long Size, long SignedSize, long PendingEvents, long CheckpointsChecked,
    SignedTreeHeadView? NewestHead, IReadOnlyList<WitnessView> Witnesses, IReadOnlyList<LogProblem> Problems);

/// <summary>The transparency log over every audit event (implemented in Infrastructure beside the chain code).</summary>
public interface ITransparencyLog
{
    Task<TransparencyLogView> DescribeAsync(CancellationToken ct);

    /// <summary>The newest signed head, or null before the first checkpoint.</summary>
    Task<SignedTreeHeadView?> NewestHeadAsync(CancellationToken ct);

    /// <summary>Inclusion proof of the leaf at index in the tree of size (size ≤ the newest signed size), or a validation failure.</summary>
    Task<InclusionProofView> InclusionAsync(long index, long size, CancellationToken ct);

    Task<ConsistencyProofView> ConsistencyAsync(long from, long to, CancellationToken ct);

    /// <summary>The receipt of an event the caller may see (any for auditors, else the events its organisation acted in).</summary>
    Task<AuditReceiptView> ReceiptAsync(long eventId, Guid? actingOrganisation, CancellationToken ct);

    Task<LogVerificationView> VerifyAsync(CancellationToken ct);
}
