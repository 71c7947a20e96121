using System.Data.Common;
using System.Threading.Channels;
using Dapper;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>
/// Replays every referral stream against <c>responsibility_periods</c>, <c>referral_duties</c> and
/// <c>deadline_breaches</c> (docs/accountability-events.md), and each referral row's <c>reference</c> (issue 17), in <b>one</b> statement: the referral events and the
/// tables' rows, UNION ALL, ordered by referral. One statement because
/// <list type="bullet">
/// <item>it reads one snapshot: four scans on four connections would see a referral's new event but not its new
/// period (or the reverse) whenever someone acts during verify, and report a mismatch that is not there;</item>
/// <item>the database puts a referral's events and rows next to each other in one order of its own (its collation and
/// its uuid order), so there is no second ordering in C# to keep in step with it on three engines;</item>
/// <item>PostgreSQL and SQL Server (without MARS) cannot stream several result sets over one connection at once.</item>
/// </list>
/// Memory holds one referral at a time. The key is the referral id as lowercase text: the events' stream id without
/// its <c>referral/</c> prefix, the tables' id cast to text (uppercase on SQL Server, hence LOWER).
/// </summary>
public static class ProjectionVerifier
{
    private const int EventPart = 0, PeriodPart = 1, DutyPart = 2, BreachPart = 3, ReferralPart = 4;
    private const int ReadBatch = 512;

    // The first branch types every column: PostgreSQL resolves a UNION pairwise, so two untyped NULLs would become text
    // and then clash with the timestamps of a later branch (and SQL Server types a bare NULL as int). The time columns
    // take their type from occurred_at through a CASE that is never true, as no one type name means a timestamp on all
    // three engines. The events' own time is not needed: every time the replay uses is in the event's data.
    private const string Sql = """
        SELECT SUBSTRING(e.stream_id, 10, 91) AS ReferralKey, 0 AS Part, e.seq AS Seq, e.type AS Code,
               CAST(NULL AS VARCHAR(36)) AS Organisation, CAST(NULL AS VARCHAR(36)) AS Responsible, CAST(NULL AS VARCHAR(50)) AS Basis,
               CAST(NULL AS VARCHAR(40)) AS ClosedBasis, CASE WHEN 1 = 0 THEN e.occurred_at END AS At1, CASE WHEN 1 = 0 THEN e.occurred_at END AS At2,
               CASE WHEN 1 = 0 THEN e.occurred_at END AS At3, CASE WHEN 1 = 0 THEN e.occurred_at END AS At4, CAST(NULL AS INTEGER) AS Number,
               CAST(NULL AS VARCHAR(50)) AS Step, e.data AS Data
        FROM audit_events e WHERE e.stream_id LIKE 'referral/%'
        UNION ALL
        SELECT LOWER(CAST(p.referral_id AS VARCHAR(36))), 1, p.seq, CAST(NULL AS VARCHAR(36)),
               CAST(p.organisation_id AS VARCHAR(36)), CAST(NULL AS VARCHAR(36)), p.basis, p.closed_basis, p.from_at, p.until_at, NULL, NULL, NULL, NULL, NULL
        FROM responsibility_periods p
        UNION ALL
        SELECT LOWER(CAST(d.referral_id AS VARCHAR(36))), 2, 0, d.deadline,
               CAST(d.holder_organisation_id AS VARCHAR(36)), CAST(NULL AS VARCHAR(36)), CAST(NULL AS VARCHAR(50)), d.closed_basis,
               d.opened_at, d.due_at, d.closed_at, d.breached_at, NULL, d.step_code, NULL
        FROM referral_duties d
        UNION ALL
        SELECT LOWER(CAST(b.referral_id AS VARCHAR(36))), 3, 0, b.deadline,
               CAST(b.holder_organisation_id AS VARCHAR(36)), CAST(b.responsible_organisation_id AS VARCHAR(36)), b.protocol_code,
               CAST(b.holder_assignee_id AS VARCHAR(40)),
               b.due_at, b.detected_at, b.acted_at, NULL, b.protocol_version, b.step_code, NULL
        FROM deadline_breaches b
        UNION ALL
        SELECT LOWER(CAST(r.id AS VARCHAR(36))), 4, 0, r.reference, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM referrals r
        ORDER BY ReferralKey, Part, Seq, Code
        """;

    /// <summary>One row of the union: an event (Part 0) or a row of one of the three tables.</summary>
    private sealed record Row
    {
        public string ReferralKey { get; init; } = "";
        public int Part { get; init; }
        public long Seq { get; init; }
        public string? Code { get; init; }
        public string? Organisation { get; init; }
        public string? Responsible { get; init; }
        public string? Basis { get; init; }
        public string? ClosedBasis { get; init; }
        public DateTimeOffset? At1 { get; init; }
        public DateTimeOffset? At2 { get; init; }
        public DateTimeOffset? At3 { get; init; }
        public DateTimeOffset? At4 { get; init; }
        public int? Number { get; init; }
        public string? Step { get; init; }
        public string? Data { get; init; }
    }

    /// <summary>
    /// Reports every disagreeing row through <paramref name="report"/>; returns how many referrals it compared. As in the
    /// chain scan, one task pulls rows off the query in batches while this one parses and folds them.
    /// </summary>
    public static async Task<long> VerifyAsync(DbConnection connection, Action<AuditBreak> report, CancellationToken ct)
    {
        var batches = Channel.CreateBounded<Row[]>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = Task.Run(async () =>
        {
            try
            {
                var batch = new List<Row>(ReadBatch);
                await foreach (var row in connection.QueryUnbufferedAsync<Row>(Sql, commandTimeout: 0).WithCancellation(stop.Token))
                {
                    batch.Add(row);
                    if (batch.Count < ReadBatch) continue;
                    await batches.Writer.WriteAsync([.. batch], stop.Token);
                    batch.Clear();
                }
                if (batch.Count > 0) await batches.Writer.WriteAsync([.. batch], stop.Token);
                batches.Writer.Complete();
            }
            catch (Exception e)
            {
                batches.Writer.Complete(e);
            }
        }, CancellationToken.None);

        long referrals = 0;
        string? current = null;
        var replay = new ProjectionReplay();
        var stored = new StoredProjections();
        try
        {
            await foreach (var batch in batches.Reader.ReadAllAsync(ct))
                foreach (var row in batch)
                {
                    if (!string.Equals(row.ReferralKey, current, StringComparison.Ordinal))
                    {
                        if (current is not null) Close(current, replay, stored, report);
                        current = row.ReferralKey;
                        replay = new ProjectionReplay();
                        stored = new StoredProjections();
                        referrals++;
                    }
                    Add(row, replay, stored, report);
                }
            if (current is not null) Close(current, replay, stored, report);
        }
        finally
        {
            await stop.CancelAsync();
            await reader;
        }
        return referrals;
    }

    private static void Add(Row row, ProjectionReplay replay, StoredProjections stored, Action<AuditBreak> report)
    {
        switch (row.Part)
        {
            case EventPart:
                replay.Apply(row.Seq, row.Code ?? "", row.Data ?? "");
                break;
            case PeriodPart when Guid.TryParse(row.Organisation, out var organisation) && row.At1 is { } from:
                stored.Periods.Add(new PeriodProjection(row.Seq, organisation, from, row.At2, row.Basis ?? "", row.ClosedBasis));
                break;
            case DutyPart when Guid.TryParse(row.Organisation, out var holder) && row.At1 is { } opened && row.At2 is { } due:
                stored.Duties.Add(new DutyProjection(ProjectionReplay.DutyKey(row.Code ?? "", row.Step), holder, opened, due, row.At3, row.ClosedBasis, row.At4));
                break;
            case BreachPart when Guid.TryParse(row.Responsible, out var responsible) && row.At1 is { } due && row.At2 is { } detected:
                stored.Breaches.Add(new BreachProjection(ProjectionReplay.DutyKey(row.Code ?? "", row.Step), Guid.TryParse(row.Organisation, out var breachHolder) ? breachHolder : null, responsible, due, detected,
                    row.At3, row.Basis, row.Number) { HolderAssigneeUserId = Guid.TryParse(row.ClosedBasis, out var assignee) ? assignee : null });
                break;
            case ReferralPart:
                stored.HasReferralRow = true;
                stored.Reference = row.Code;
                break;
            default:
                // The NOT NULL columns are null only if the schema itself was altered.
                report(new AuditBreak(AuditBreakReasons.ProjectionMismatch, $"referral/{row.ReferralKey}", null, null,
                    $"A row of {ProjectionComparison.TableName((ProjectionTable)(row.Part - 1))} lacks a value its table requires."));
                break;
        }
    }

    private static void Close(string referralKey, ProjectionReplay replay, StoredProjections stored, Action<AuditBreak> report)
    {
        foreach (var problem in ProjectionComparison.Compare($"referral/{referralKey}", replay, stored)) report(problem);
    }
}
