using System.Globalization;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>The rows the projection tables hold for one referral, in any order.</summary>
public sealed class StoredProjections
{
    public List<PeriodProjection> Periods { get; } = [];
    public List<DutyProjection> Duties { get; } = [];
    public List<BreachProjection> Breaches { get; } = [];

    /// <summary>Whether <c>referrals</c> holds a row for the referral, and its <c>reference</c>.</summary>
    public bool HasReferralRow { get; set; }
    public string? Reference { get; set; }
}

/// <summary>
/// Compares what the events say a referral's projection rows must be (<see cref="ProjectionReplay"/>) with what the
/// tables hold, row by row: each row that differs, is missing or has no event behind it is one
/// <see cref="AuditBreakReasons.ProjectionMismatch"/>, naming the table, the row (period seq or deadline) and every field
/// that differs, and — as its seq — the last event that changed the row. Pure: the caller reads the rows.
/// </summary>
public static class ProjectionComparison
{
    public static IEnumerable<AuditBreak> Compare(string streamId, ProjectionReplay replay, StoredProjections stored)
    {
        foreach (var problem in replay.Problems)
            yield return Break(streamId, problem.Seq, $"The events cannot be replayed: {problem.Detail}");
        foreach (var difference in Rows(streamId, replay, ProjectionTable.ResponsibilityPeriods, replay.Periods, stored.Periods, p => p.Seq, Comparer<long>.Default, "seq",
                     (s, e) =>
                     [
                         ("organisation_id", Show(s?.OrganisationId), Show(e?.OrganisationId)), ("from_at", Show(s?.From), Show(e?.From)),
                         ("until_at", Show(s?.Until), Show(e?.Until)), ("basis", s?.Basis, e?.Basis), ("closed_basis", s?.ClosedBasis, e?.ClosedBasis),
                     ]))
            yield return difference;
        foreach (var difference in Rows(streamId, replay, ProjectionTable.ReferralDuties, replay.Duties, stored.Duties, d => d.Deadline, StringComparer.Ordinal, "deadline",
                     (s, e) =>
                     [
                         ("holder_organisation_id", Show(s?.HolderOrganisationId), Show(e?.HolderOrganisationId)), ("opened_at", Show(s?.OpenedAt), Show(e?.OpenedAt)),
                         ("due_at", Show(s?.DueAt), Show(e?.DueAt)), ("closed_at", Show(s?.ClosedAt), Show(e?.ClosedAt)),
                         ("closed_basis", s?.ClosedBasis, e?.ClosedBasis), ("breached_at", Show(s?.BreachedAt), Show(e?.BreachedAt)),
                     ]))
            yield return difference;
        foreach (var difference in Rows(streamId, replay, ProjectionTable.DeadlineBreaches, replay.Breaches, stored.Breaches, b => b.Deadline, StringComparer.Ordinal, "deadline",
                     (s, e) =>
                     [
                         ("holder_organisation_id", Show(s?.HolderOrganisationId), Show(e?.HolderOrganisationId)),
                         ("responsible_organisation_id", Show(s?.ResponsibleOrganisationId), Show(e?.ResponsibleOrganisationId)),
                         ("due_at", Show(s?.DueAt), Show(e?.DueAt)), ("detected_at", Show(s?.DetectedAt), Show(e?.DetectedAt)), ("acted_at", Show(s?.ActedAt), Show(e?.ActedAt)),
                         ("protocol_code", s?.ProtocolCode, e?.ProtocolCode), ("protocol_version", Show(s?.ProtocolVersion), Show(e?.ProtocolVersion)),
                         ("holder_assignee_id", Show(s?.HolderAssigneeUserId), Show(e?.HolderAssigneeUserId)),
                     ]))
            yield return difference;
        // The reference is fixed by the submitted event; a row without events is a stream problem the chain scan reports.
        if (stored.HasReferralRow && replay.SubmittedSeq is not null && !string.Equals(stored.Reference, replay.Reference, StringComparison.Ordinal))
            yield return Break(streamId, replay.SubmittedSeq, $"referrals reference is {stored.Reference ?? "null"} in the table, {replay.Reference ?? "null"} by the events.");
    }

    public static string TableName(ProjectionTable table) => table switch
    {
        ProjectionTable.ResponsibilityPeriods => "responsibility_periods",
        ProjectionTable.ReferralDuties => "referral_duties",
        ProjectionTable.DeadlineBreaches => "deadline_breaches",
        ProjectionTable.Referrals => "referrals",
        _ => throw new ArgumentOutOfRangeException(nameof(table), table, null),
    };

    private static IEnumerable<AuditBreak> Rows<T, TKey>(string streamId, ProjectionReplay replay, ProjectionTable table, IEnumerable<T> expected,
        IEnumerable<T> stored, Func<T, TKey> key, IComparer<TKey> order, string keyName, Func<T?, T?, (string Field, string? Stored, string? Expected)[]> fields)
        where T : class where TKey : notnull
    {
        var name = TableName(table);
        var byKey = expected.ToDictionary(key);
        var seen = new HashSet<TKey>();
        foreach (var row in stored.OrderBy(key, order))
        {
            var k = key(row);
            if (!seen.Add(k))
            {
                yield return Break(streamId, replay.LastEventOf(table, KeyText(k)), $"{name} holds {keyName} {KeyText(k)} twice for this referral.");
                continue;
            }
            if (!byKey.TryGetValue(k, out var should))
            {
                yield return Break(streamId, null, $"{name} {keyName} {KeyText(k)} is in the table, but no event of the stream made it.");
                continue;
            }
            // Equal records have equal fields: only a row that differs is taken apart (formatting every field of every
            // row cost more than the rest of the comparison).
            if (row.Equals(should)) continue;
            var differing = fields(row, should).Where(f => !string.Equals(f.Stored, f.Expected, StringComparison.Ordinal)).ToList();
            if (differing.Count > 0)
                yield return Break(streamId, replay.LastEventOf(table, KeyText(k)), $"{name} {keyName} {KeyText(k)} disagrees with the events: "
                    + string.Join("; ", differing.Select(f => $"{f.Field} is {f.Stored ?? "null"} in the table, {f.Expected ?? "null"} by the events")) + ".");
        }
        foreach (var k in byKey.Keys.Where(k => !seen.Contains(k)).Order(order))
            yield return Break(streamId, replay.LastEventOf(table, KeyText(k)), $"{name} {keyName} {KeyText(k)} is missing: the events made it, the table does not hold it.");
    }

    private static AuditBreak Break(string streamId, long? seq, string detail) => new(AuditBreakReasons.ProjectionMismatch, streamId, seq, null, detail);

    private static string KeyText<TKey>(TKey key) where TKey : notnull => Convert.ToString(key, CultureInfo.InvariantCulture)!;
    private static string? Show(Guid? id) => id?.ToString("D");
    private static string? Show(int? number) => number?.ToString(CultureInfo.InvariantCulture);
    private static string? Show(DateTimeOffset? at) => at is { } t ? ProjectionReplay.Micro(t).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture) : null;
}
