using Dapper;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Infrastructure.Audit.Log;

/// <summary>An audit event a request appended, as its receipt names it.</summary>
public sealed record AppendedEvent(long EventId, string StreamId, long Seq);

/// <summary>
/// The events appended by the current request, collected only while a request that asked for a receipt runs
/// (<c>Prefer: return=receipt</c>). It flows with the request's async context, so the singleton appender can fill it
/// without any change to the write path of the features.
/// </summary>
public static class AuditReceipts
{
    private static readonly AsyncLocal<List<AppendedEvent>?> Current = new();

    /// <summary>Starts collecting for the calling request; the returned list fills as its command appends events.</summary>
    public static List<AppendedEvent> Collect() => Current.Value = [];

    public static List<AppendedEvent>? Collecting => Current.Value;
}

/// <summary>
/// Decorates the audit appender: after the events are appended, and only when a receipt was asked for, reads back
/// (in the same transaction, where the stream head rows are still locked by it) the ids of the events this request
/// appended. Costs nothing on requests that ask for no receipt.
/// </summary>
public sealed class ReceiptRecordingAppender(AuditAppender inner) : IAuditAppender
{
    public async ValueTask AppendAsync(IDbSession session, Principal? actor, IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        await inner.AppendAsync(session, actor, entries, ct);
        if (AuditReceipts.Collecting is not { } collected || entries.Count == 0) return;
        var connection = await session.ConnectionAsync(ct);
        foreach (var stream in entries.GroupBy(e => e.StreamId, StringComparer.Ordinal))
        {
            var head = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT seq FROM audit_stream_heads WHERE stream_id = @StreamId", new { StreamId = stream.Key }, session.Transaction, cancellationToken: ct));
            var appended = await connection.QueryAsync<(long GlobalSeq, long Seq)>(new CommandDefinition(
                "SELECT global_seq, seq FROM audit_events WHERE stream_id = @StreamId AND seq > @After ORDER BY seq",
                new { StreamId = stream.Key, After = head - stream.Count() }, session.Transaction, cancellationToken: ct));
            lock (collected) collected.AddRange(appended.Select(a => new AppendedEvent(a.GlobalSeq, stream.Key, a.Seq)));
        }
    }
}
