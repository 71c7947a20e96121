using System.Globalization;
using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Statistics;

/// <summary>
/// Anonymised referral statistics for a period (<c>from</c> inclusive, <c>to</c> exclusive; a date-only <c>to</c>
/// includes that whole day), grouped by one dimension. The network admin and auditors see the whole network; everyone
/// else the referrals their organisation sent or received. Small cells are suppressed (<see cref="SmallCellSuppression"/>).
/// </summary>
[AllowedRoles(Role.NetworkAdmin, Role.Auditor, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record GetReferralStatisticsQuery(string? From, string? To, string? GroupBy) : IQuery<ReferralStatistics>;

/// <summary>
/// One cell. <see cref="Count"/> is a number, or the string <c>"&lt;5"</c> when the cell is withheld — because it is
/// small, or to protect a small one (complementary suppression; such a cell may hold more than 4, and the marker
/// deliberately does not say which). A withheld cell shows no medians or rates.
/// </summary>
public sealed record StatisticsCell(string Key, object Count, bool Suppressed, double? MedianHoursToAcknowledge, double? MedianHoursToAccept,
    double? MedianHoursToComplete, double? DeadlineMissRate);

public sealed record ReferralStatistics(DateTimeOffset? From, DateTimeOffset To, string GroupBy, string Scope, int SuppressionThreshold,
    StatisticsCell Total, IReadOnlyList<StatisticsCell> Cells);

public sealed class GetReferralStatisticsValidator : AbstractValidator<GetReferralStatisticsQuery>
{
    public GetReferralStatisticsValidator()
    {
        RuleFor(q => q.GroupBy).NotEmpty().Must(g => g is null || StatisticsDimensions.All.ContainsKey(g))
            .WithMessage("groupBy is one of: {Allowed}.").WithPlaceholder("Allowed", string.Join(", ", StatisticsDimensions.All.Keys));
        RuleFor(q => q.From).Must(f => f is null || StatisticsPeriod.TryParse(f, endOfDay: false, out _))
            .WithMessage("Use an ISO 8601 date or time {Bounds}, e.g. 2026-01-01.").WithPlaceholder("Bounds", TimeBounds.Description);
        RuleFor(q => q.To).Must(t => t is null || StatisticsPeriod.TryParse(t, endOfDay: true, out _))
            .WithMessage("Use an ISO 8601 date or time {Bounds}, e.g. 2026-12-31.").WithPlaceholder("Bounds", TimeBounds.Description);
        RuleFor(q => q).Must(q => !StatisticsPeriod.TryParse(q.From, false, out var from) || !StatisticsPeriod.TryParse(q.To, true, out var to) || from < to)
            .WithName("to").WithMessage("to must be after from.");
    }
}

public sealed class GetReferralStatisticsHandler(IDbSession session, ICurrentPrincipal current, Clock clock)
    : IQueryHandler<GetReferralStatisticsQuery, ReferralStatistics>
{
    public async ValueTask<ReferralStatistics> Handle(GetReferralStatisticsQuery query, CancellationToken ct)
    {
        var principal = current.Principal!;
        var from = StatisticsPeriod.TryParse(query.From, false, out var f) ? f : (DateTimeOffset?)null;
        var to = StatisticsPeriod.TryParse(query.To, true, out var t) ? t : (DateTimeOffset?)null;
        var network = principal.HasAny(Role.NetworkAdmin, Role.Auditor);
        var dimension = StatisticsDimensions.All[query.GroupBy!];

        // One row per referral, with the few clear attributes the dimensions read; grouping and medians happen below.
        // (PostgreSQL cannot type a NULL in "@From IS NULL", so optional filters are added only when given.)
        var where = new List<string> { "1 = 1" };
        if (from is not null) where.Add("r.created_at >= @From");
        if (to is not null) where.Add("r.created_at < @To");
        if (!network) where.Add("(r.referrer_organisation_id = @Org OR r.receiver_organisation_id = @Org)");
        var connection = await session.ConnectionAsync(ct);
        var rows = (await connection.QueryAsync<StatisticsRow>(new CommandDefinition($"""
            SELECT r.id, r.status, r.outcome, r.protocol_code AS ProtocolCode, r.services, r.created_at AS CreatedAt,
                   r.acknowledged_at AS AcknowledgedAt, r.decided_at AS DecidedAt, r.finished_at AS FinishedAt,
                   p.birth_year AS BirthYear, p.sex, p.nationality, p.vulnerabilities,
                   receiver_org.kind AS ReceiverKind, referrer_org.municipality AS ReferrerMunicipality,
                   CASE WHEN EXISTS (SELECT 1 FROM deadline_breaches b WHERE b.referral_id = r.id) THEN 1 ELSE 0 END AS MissedDeadlines
            FROM referrals r
            JOIN persons p ON p.id = r.person_id
            JOIN organisations receiver_org ON receiver_org.id = r.receiver_organisation_id
            JOIN organisations referrer_org ON referrer_org.id = r.referrer_organisation_id
            WHERE {string.Join(" AND ", where)}
            """, new { From = from, To = to, Org = principal.OrganisationId }, cancellationToken: ct))).ToList();

        var groups = rows.SelectMany(r => dimension.KeysOf(r).Distinct().Select(key => (Key: key, Row: r)))
            .GroupBy(x => x.Key, x => x.Row).OrderBy(g => dimension.OrderOf(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        var hidden = SmallCellSuppression.Suppress(groups.Select(g => g.Count()).ToList(), rows.Count, dimension.Partition);
        var cells = groups.Select((g, i) => Cell(g.Key, g.ToList(), hidden[i])).ToList();
        var total = Cell("total", rows, rows.Count is > 0 and < SmallCellSuppression.Threshold);
        return new ReferralStatistics(from, to ?? clock.Now(), query.GroupBy!, network ? "network" : "organisation", SmallCellSuppression.Threshold, total, cells);
    }

    private static StatisticsCell Cell(string key, IReadOnlyList<StatisticsRow> rows, bool suppressed)
    {
        if (suppressed) return new StatisticsCell(key, $"<{SmallCellSuppression.Threshold}", true, null, null, null, null);
        static double? Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            if (sorted.Count == 0) return null;
            var middle = sorted.Count / 2;
            var median = sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
            return Math.Round(median, 2);
        }
        return new StatisticsCell(key, rows.Count, false,
            Median(rows.Where(r => r.AcknowledgedAt is not null).Select(r => Hours(r.CreatedAt, r.AcknowledgedAt!.Value))),
            Median(rows.Where(r => r.Accepted).Select(r => Hours(r.CreatedAt, r.DecidedAt!.Value))),
            Median(rows.Where(r => r.Completed).Select(r => Hours(r.CreatedAt, r.FinishedAt!.Value))),
            rows.Count == 0 ? null : Math.Round(rows.Count(r => r.MissedDeadlines > 0) / (double)rows.Count, 3));
    }

    private static double Hours(DateTimeOffset from, DateTimeOffset to) => (to - from).TotalHours;
}

/// <summary>
/// The reporting period as given: ISO 8601 times, or dates (UTC midnight; a date as <c>to</c> means the end of that day),
/// within <see cref="TimeBounds"/> — checked before the day is added, so 9999-12-31 is a 400, not an overflow.
/// </summary>
public static class StatisticsPeriod
{
    public static bool TryParse(string? value, bool endOfDay, out DateTimeOffset result)
    {
        result = default;
        if (value is null) return false;
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            if (!TimeBounds.Contains(date)) return false;
            result = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(endOfDay ? 1 : 0);
            return true;
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out result)
            && TimeBounds.Contains(result);
    }
}

public sealed record StatisticsRow
{
    public Guid Id { get; init; }
    public string Status { get; init; } = "";
    public string? Outcome { get; init; }
    public string ProtocolCode { get; init; } = "";
    public string Services { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? AcknowledgedAt { get; init; }
    public DateTimeOffset? DecidedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public int BirthYear { get; init; }
    public string Sex { get; init; } = "";
    public string? Nationality { get; init; }
    public string Vulnerabilities { get; init; } = "";
    public string ReceiverKind { get; init; } = "";
    public string ReferrerMunicipality { get; init; } = "";
    public int MissedDeadlines { get; init; }

    /// <summary>Decided, and the decision was to accept (a decline or a redirect also sets decided_at).</summary>
    public bool Accepted => DecidedAt is not null && Status is not ("rejected" or "redirected");

    /// <summary>Ended with an outcome (completed or failed): not cancelled, declined or redirected.</summary>
    public bool Completed => FinishedAt is not null && Status is ("completed" or "failed");
}
