using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using ReferralNetwork.Application.Features.Attachments;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>
/// Holds every <c>attachments</c> row to the <c>attachment.added</c> event that made it (issue 17): same referral, type,
/// size and SHA-256. A row edited, added or deleted behind the API's back is a
/// <see cref="AuditBreakReasons.ProjectionMismatch"/> naming the attachment and the fields. One statement (events and
/// rows, UNION ALL) so both come from one snapshot, as in <see cref="ProjectionVerifier"/>; a separate one because
/// attachments are keyed by their own id, not by the referral's seq or deadline. Memory holds the events' few fields
/// for every attachment — metadata only, small even for many documents.
/// </summary>
public static class AttachmentVerifier
{
    private const string Sql = $"""
        SELECT 0 AS Part, e.stream_id AS StreamId, e.seq AS Seq, e.data AS Data, CAST(NULL AS VARCHAR(36)) AS AttachmentId,
               CAST(NULL AS VARCHAR(36)) AS ReferralId, CAST(NULL AS VARCHAR(40)) AS ContentType, CAST(NULL AS BIGINT) AS Size, CAST(NULL AS VARCHAR(64)) AS Sha256
        FROM audit_events e WHERE e.type = '{AttachmentEvents.Added}'
        UNION ALL
        SELECT 1, NULL, 0, NULL, LOWER(CAST(a.id AS VARCHAR(36))), LOWER(CAST(a.referral_id AS VARCHAR(36))), a.content_type, a.size_bytes, a.sha256
        FROM attachments a
        """;

    private sealed record Row
    {
        public int Part { get; init; }
        public string? StreamId { get; init; }
        public long Seq { get; init; }
        public string? Data { get; init; }
        public string? AttachmentId { get; init; }
        public string? ReferralId { get; init; }
        public string? ContentType { get; init; }
        public long? Size { get; init; }
        public string? Sha256 { get; init; }
    }

    private sealed record Facts(string StreamId, long Seq, string? ReferralId, string? ContentType, long? Size, string? Sha256);

    /// <summary>Reports every disagreeing row; returns how many attachments (rows or events) it compared.</summary>
    public static async Task<long> VerifyAsync(DbConnection connection, Action<AuditBreak> report, CancellationToken ct)
    {
        var events = new Dictionary<string, Facts>(StringComparer.Ordinal);
        var rows = new List<Row>();
        await foreach (var row in connection.QueryUnbufferedAsync<Row>(Sql, commandTimeout: 0).WithCancellation(ct))
        {
            if (row.Part == 1)
            {
                rows.Add(row);
                continue;
            }
            var facts = Parse(row);
            if (facts.Id is null)
                report(Break(row.StreamId ?? "", row.Seq, $"An {AttachmentEvents.Added} event names no attachment."));
            else
                events[facts.Id] = facts.Facts;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows.OrderBy(r => r.AttachmentId, StringComparer.Ordinal))
        {
            var id = row.AttachmentId ?? "";
            seen.Add(id);
            if (!events.TryGetValue(id, out var expected))
            {
                report(Break($"referral/{row.ReferralId}", null, $"attachments id {id} is in the table, but no event of the stream made it."));
                continue;
            }
            var differing = new (string Field, string? Stored, string? Expected)[]
            {
                ("referral_id", row.ReferralId, expected.ReferralId), ("content_type", row.ContentType, expected.ContentType),
                ("size_bytes", Show(row.Size), Show(expected.Size)), ("sha256", row.Sha256, expected.Sha256),
            }.Where(f => !string.Equals(f.Stored, f.Expected, StringComparison.Ordinal)).ToList();
            if (differing.Count > 0)
                report(Break(expected.StreamId, expected.Seq, $"attachments id {id} disagrees with the events: "
                    + string.Join("; ", differing.Select(f => $"{f.Field} is {f.Stored ?? "null"} in the table, {f.Expected ?? "null"} by the events")) + "."));
        }
        foreach (var (id, expected) in events.Where(e => !seen.Contains(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal))
            report(Break(expected.StreamId, expected.Seq, $"attachments id {id} is missing: the events made it, the table does not hold it."));
        return seen.Count + events.Keys.Count(k => !seen.Contains(k));
    }

    private static (string? Id, Facts Facts) Parse(Row row)
    {
        var streamId = row.StreamId ?? "";
        var referral = streamId.StartsWith("referral/", StringComparison.Ordinal) ? streamId["referral/".Length..].ToLowerInvariant() : null;
        try
        {
            using var document = JsonDocument.Parse(row.Data ?? "{}");
            var data = document.RootElement;
            string? Text(string name) => data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            long? size = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) ? n : null;
            return (Text("attachmentId")?.ToLowerInvariant(), new Facts(streamId, row.Seq, referral, Text("contentType"), size, Text("sha256")));
        }
        catch (JsonException)
        {
            return (null, new Facts(streamId, row.Seq, referral, null, null, null));
        }
    }

    private static AuditBreak Break(string streamId, long? seq, string detail) => new(AuditBreakReasons.ProjectionMismatch, streamId, seq, null, detail);

    private static string? Show(long? number) => number?.ToString(CultureInfo.InvariantCulture);
}
