using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Statistics;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Reports;

/// <summary>
/// Performance indicators for a calendar month or quarter (<see cref="ReportPeriod"/>) by organisation, protocol or service.
/// Network coordinators (the network admin) and auditors see the network; an organisation's admin or supervisor sees
/// its own share — by organisation, its own row. Caseworkers and partner systems do not read performance reports.
/// Counts of people are protected by <see cref="IndicatorsProtection"/>; a duration or an on-time share measured over
/// fewer than 5 referrals or duties is withheld. Breaches are not withheld: they are accountability facts about their
/// holder, listed one by one for auditors at <c>GET /audit/deadline-breaches</c>, and an organisation sees only its own.
/// </summary>
[AllowedRoles(Role.NetworkAdmin, Role.Auditor, Role.OrgAdmin, Role.Supervisor)]
public sealed record GetIndicatorsQuery(string? Period, string? GroupBy) : IQuery<IndicatorsReport>;

public sealed class GetIndicatorsValidator : AbstractValidator<GetIndicatorsQuery>
{
    public GetIndicatorsValidator()
    {
        RuleFor(q => q.GroupBy).IsIndicatorGrouping();
        RuleFor(q => q.Period).IsReportPeriod();
    }
}

public static class ReportRules
{
    public static IRuleBuilderOptions<T, string?> IsIndicatorGrouping<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(g => g is not null && IndicatorGroupings.All.ContainsKey(g))
            .WithMessage("groupBy is one of: {Allowed}.").WithPlaceholder("Allowed", string.Join(", ", IndicatorGroupings.All.Keys));

    public static IRuleBuilderOptions<T, string?> IsReportPeriod<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(p => ReportPeriod.TryParse(p, out _)).WithMessage("period is {Forms}.").WithPlaceholder("Forms", ReportPeriod.AcceptedForms);
}

public sealed class GetIndicatorsHandler(IDbSession session, ICurrentPrincipal current, Clock clock) : IQueryHandler<GetIndicatorsQuery, IndicatorsReport>
{
    private const int Threshold = SmallCellSuppression.Threshold;

    public async ValueTask<IndicatorsReport> Handle(GetIndicatorsQuery query, CancellationToken ct)
    {
        var principal = current.Principal!;
        ReportPeriod.TryParse(query.Period, out var period);
        var network = principal.HasAny(Role.NetworkAdmin, Role.Auditor);
        var grouping = IndicatorGroupings.All[query.GroupBy!];
        var sentIsReceived = !grouping.ByOrganisation;
        var sql = new IndicatorsSql(session, grouping, network ? null : principal.OrganisationId, clock.Now());

        var counts = await sql.CountsAsync(period, ct);
        HashSet<CountCell>? forced = null;
        if (period.IsQuarter)
        {
            forced = [];
            foreach (var month in period.Months)
                forced.UnionWith(IndicatorsProtection.Hidden(await sql.CountsAsync(month, ct), sentIsReceived));
        }
        var hidden = IndicatorsProtection.Hidden(counts, sentIsReceived, forced);

        var acknowledge = await sql.DurationsAsync("r.acknowledged_at", "1 = 1", period, ct);
        // Any decision: accepted, declined or redirected.
        var decide = await sql.DurationsAsync("r.decided_at", "1 = 1", period, ct);
        // Ended with an outcome (completed or failed): not cancelled, declined or redirected.
        var complete = await sql.DurationsAsync("r.finished_at", "r.status IN ('completed', 'failed')", period, ct);
        var duties = await sql.DutiesAsync(period, ct);
        var breaches = await sql.BreachesAsync(period, ct);
        var names = grouping.ByOrganisation ? await sql.OrganisationNamesAsync(ct) : null;

        var keys = counts.Sent.Keys.Concat(counts.Received.Keys).Concat(acknowledge.Keys).Concat(duties.Keys.Select(k => k.Key))
            .Concat(breaches.Keys.Select(k => k.Key)).Distinct().Order(StringComparer.Ordinal).ToList();
        var suppressed = new List<SuppressedCell>();
        var rows = keys.Select(key => new RowBuilder(key, counts, hidden, sentIsReceived, suppressed).Build(
            names?.GetValueOrDefault(key), acknowledge, decide, complete, duties, breaches)).ToList();
        return new IndicatorsReport(period.Code, period.From, period.To, grouping.Code, network ? "network" : "organisation", Threshold, rows, suppressed);
    }

    /// <summary>One row: published counts, the cells withheld noted (by field, never by code) in <c>suppressed</c>.</summary>
    private sealed class RowBuilder(string key, IndicatorCounts counts, IReadOnlySet<CountCell> hidden, bool sentIsReceived, List<SuppressedCell> suppressed)
    {
        public IndicatorRow Build(string? name, IReadOnlyDictionary<string, MeasuredDurations> acknowledge, IReadOnlyDictionary<string, MeasuredDurations> decide,
            IReadOnlyDictionary<string, MeasuredDurations> complete, IReadOnlyDictionary<(string Key, string Code), DutyCounts> duties,
            IReadOnlyDictionary<(string Key, string Code), int> breaches)
        {
            var sent = Count(IndicatorsProtection.Sent, counts.Sent.GetValueOrDefault(key));
            var received = sentIsReceived ? sent : Count(IndicatorsProtection.Received, counts.Received.GetValueOrDefault(key));
            var outcomes = Map(IndicatorsProtection.Outcomes, counts.Outcomes);
            var reasons = Map(IndicatorsProtection.DeclineReasons, counts.DeclineReasons);
            var onTime = duties.Where(d => d.Key.Key == key).OrderBy(d => d.Key.Code, StringComparer.Ordinal).ToList();
            var shares = onTime.Where(d => d.Value.Counted >= Threshold)
                .ToDictionary(d => d.Key.Code, d => Math.Round(d.Value.OnTime / (double)d.Value.Counted, 3), StringComparer.Ordinal);
            if (onTime.Count > shares.Count) suppressed.Add(new SuppressedCell(key, "onTimeShareByDuty", onTime.Count - shares.Count));
            return new IndicatorRow(key, name, sent, received,
                Duration("timeToAcknowledge", acknowledge), Duration("timeToDecide", decide), Duration("timeToComplete", complete),
                shares, breaches.Where(b => b.Key.Key == key).OrderBy(b => b.Key.Code, StringComparer.Ordinal).ToDictionary(b => b.Key.Code, b => b.Value, StringComparer.Ordinal),
                outcomes, Rate("redirectRate", outcomes, "redirected", received), Rate("declineRate", outcomes, "rejected", received), reasons);
        }

        private int? Count(string field, int count)
        {
            if (!hidden.Contains(new CountCell(key, field))) return count;
            suppressed.Add(new SuppressedCell(key, field));
            return null;
        }

        private Dictionary<string, int> Map(string field, IReadOnlyDictionary<(string Key, string Code), int> all)
        {
            var cells = all.Where(c => c.Key.Key == key && c.Value > 0).OrderBy(c => c.Key.Code, StringComparer.Ordinal).ToList();
            var shown = cells.Where(c => !hidden.Contains(new CountCell(key, field, c.Key.Code))).ToDictionary(c => c.Key.Code, c => c.Value, StringComparer.Ordinal);
            if (cells.Count > shown.Count) suppressed.Add(new SuppressedCell(key, field, cells.Count - shown.Count));
            return shown;
        }

        private DurationFigures Duration(string field, IReadOnlyDictionary<string, MeasuredDurations> all)
        {
            if (!all.TryGetValue(key, out var measured)) return new DurationFigures(null, null);
            if (measured.Count >= Threshold) return new DurationFigures(measured.Median, measured.P90);
            suppressed.Add(new SuppressedCell(key, field));
            return new DurationFigures(null, null);
        }

        /// <summary>The share of received referrals that ended so; withheld when either count is.</summary>
        private double? Rate(string field, Dictionary<string, int> outcomes, string code, int? received)
        {
            if (received is not > 0) return null;
            var withheld = hidden.Contains(new CountCell(key, IndicatorsProtection.Outcomes, code));
            if (withheld)
            {
                suppressed.Add(new SuppressedCell(key, field));
                return null;
            }
            return Math.Round(outcomes.GetValueOrDefault(code) / (double)received.Value, 3);
        }
    }
}
