namespace ReferralNetwork.Application.Abstractions;

/// <summary>
/// An audit event waiting for the transaction's commit. <see cref="Data"/> must never hold identities or free text
/// (DESIGN §6): ids, codes, counts and times only.
/// </summary>
public sealed record AuditEntry(string StreamId, string Type, IReadOnlyDictionary<string, object?> Data)
{
    /// <summary>
    /// The stream's head as the writer read it in this transaction (<see cref="KnownHead.NewStream"/> for a stream it
    /// creates). The appender then writes the event and moves the head in two statements, the move guarded by this seq
    /// (a concurrent append makes it fail: 412). Null: the appender reads and locks the head itself.
    /// </summary>
    public KnownHead? ExpectedHead { get; init; }
}

/// <summary>A stream's newest seq and hash; seq 0 (and no hash) for a stream without events.</summary>
public sealed record KnownHead(long Seq, string? Hash)
{
    public static readonly KnownHead NewStream = new(0, null);
}

/// <summary>
/// Collects the audit events of the current command; the transaction behaviour appends them to their hash chains in
/// the same transaction, just before commit.
/// </summary>
public interface IAuditLog
{
    void Record(AuditEntry entry);
    IReadOnlyList<AuditEntry> Pending { get; }
}

/// <summary>Appends entries to their streams' hash chains inside the open transaction.</summary>
public interface IAuditAppender
{
    ValueTask AppendAsync(IDbSession session, Principal? actor, IReadOnlyList<AuditEntry> entries, CancellationToken ct);
}

public static class AuditStreams
{
    public static string Referral(Guid id) => $"referral/{id}";
    public static string Organisation(Guid id) => $"organisation/{id}";
    public static string Person(Guid id) => $"person/{id}";
    public static string Protocol(string code) => $"protocol/{code}";
    public static string User(Guid id) => $"user/{id}";
}
