using System.Data.Common;
using System.Text.Json;
using Dapper;
using ReferralNetwork.Application.Features.Audit;
using ReferralNetwork.Application.Features.Persons;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>
/// Holds <c>persons.merged_into_id</c> to the chain (issue 17): each person's <c>person.merged</c> and
/// <c>person.merge_undone</c> events, replayed in order, say which record (if any) the person is merged into now. A
/// column set, changed or cleared behind the API's back would move a person's referrals, consents and access log to
/// someone else's history, so it is a projection mismatch. One statement (one snapshot), ordered by person; merges are
/// few, and memory holds one person's rows at a time.
/// </summary>
public static class PersonMergeVerifier
{
    private const int EventPart = 0;

    private static readonly string Sql = $"""
        SELECT SUBSTRING(e.stream_id, 8, 91) AS PersonKey, 0 AS Part, e.seq AS Seq, e.type AS Type, e.data AS Data,
               CAST(NULL AS VARCHAR(36)) AS MergedInto
        FROM audit_events e WHERE e.stream_id LIKE 'person/%' AND e.type IN ('{PersonMerges.Merged}', '{PersonMerges.Undone}')
        UNION ALL
        SELECT LOWER(CAST(p.id AS VARCHAR(36))), 1, 0, NULL, NULL, LOWER(CAST(p.merged_into_id AS VARCHAR(36)))
        FROM persons p WHERE p.merged_into_id IS NOT NULL
        ORDER BY PersonKey, Part, Seq
        """;

    private sealed record Row
    {
        public string PersonKey { get; init; } = "";
        public int Part { get; init; }
        public long Seq { get; init; }
        public string? Type { get; init; }
        public string? Data { get; init; }
        public string? MergedInto { get; init; }
    }

    public static async Task VerifyAsync(DbConnection connection, Action<AuditBreak> report, CancellationToken ct)
    {
        string? current = null;
        Guid? replayed = null, stored = null;
        await foreach (var row in connection.QueryUnbufferedAsync<Row>(Sql, commandTimeout: 0).WithCancellation(ct))
        {
            if (!string.Equals(row.PersonKey, current, StringComparison.Ordinal))
            {
                if (current is not null) Compare(current, replayed, stored, report);
                current = row.PersonKey;
                replayed = stored = null;
            }
            if (row.Part == EventPart) replayed = row.Type == PersonMerges.Merged ? MergedIntoOf(row.Data) : null;
            else stored = Guid.TryParse(row.MergedInto, out var into) ? into : null;
        }
        if (current is not null) Compare(current, replayed, stored, report);
    }

    private static Guid? MergedIntoOf(string? data)
    {
        if (data is null) return null;
        using var document = JsonDocument.Parse(data);
        return document.RootElement.TryGetProperty("mergedInto", out var into) && into.ValueKind == JsonValueKind.String
            && Guid.TryParse(into.GetString(), out var id) ? id : null;
    }

    private static void Compare(string personKey, Guid? replayed, Guid? stored, Action<AuditBreak> report)
    {
        if (replayed == stored) return;
        report(new AuditBreak(AuditBreakReasons.ProjectionMismatch, $"person/{personKey}", null, null,
            $"persons.merged_into_id is {stored?.ToString() ?? "null"}, but the person's events say {replayed?.ToString() ?? "not merged"}: the column was changed outside the API."));
    }
}
