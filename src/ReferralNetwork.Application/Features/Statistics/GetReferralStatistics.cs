using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Statistics;

/// <summary>
/// Anonymised referral statistics for one calendar month or quarter (<see cref="ReportPeriod"/>), grouped by one
/// dimension. The network admin and auditors see the whole network; everyone else the referrals their organisation sent
/// or received. Small cells are withheld (<see cref="SmallCellSuppression"/>) and so is any query over fewer than
/// <see cref="StatisticsProtection.MinimumPopulation"/> referrals.
/// </summary>
[AllowedRoles(Role.NetworkAdmin, Role.Auditor, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record GetReferralStatisticsQuery(string? Period, string? GroupBy) : IQuery<ReferralStatistics>;

/// <summary>One published cell: only cells that are shown are listed, so a withheld cell gives away neither its count nor its key.</summary>
public sealed record StatisticsCell(string Key, int Count, double? MedianHoursToAcknowledge, double? MedianHoursToAccept,
    double? MedianHoursToComplete, double? DeadlineMissRate);

/// <summary>All referrals of the period. <see cref="Count"/> is null (and <see cref="Withheld"/> true) under the minimum population.</summary>
public sealed record StatisticsTotal(int? Count, bool Withheld, double? MedianHoursToAcknowledge, double? MedianHoursToAccept,
    double? MedianHoursToComplete, double? DeadlineMissRate);

/// <summary>
/// <see cref="Keys"/>: every key the dimension can have (null for nationality: any ISO 3166 alpha-2 code or <c>unknown</c>).
/// A key not among <see cref="Cells"/> is either empty or withheld; <see cref="WithheldCells"/> says how many are withheld
/// (null when the whole table is).
/// </summary>
public sealed record ReferralStatistics(string Period, DateTimeOffset From, DateTimeOffset To, string GroupBy, string Scope, int SuppressionThreshold,
    int MinimumPopulation, IReadOnlyList<string>? Keys, StatisticsTotal Total, IReadOnlyList<StatisticsCell> Cells, int? WithheldCells);

public sealed class GetReferralStatisticsValidator : AbstractValidator<GetReferralStatisticsQuery>
{
    public GetReferralStatisticsValidator()
    {
        RuleFor(q => q.GroupBy).Must(g => g is not null && StatisticsDimensions.All.ContainsKey(g))
            .WithMessage("groupBy is one of: {Allowed}.").WithPlaceholder("Allowed", string.Join(", ", StatisticsDimensions.All.Keys));
        RuleFor(q => q.Period).Must(p => ReportPeriod.TryParse(p, out _))
            .WithMessage("period is {Forms}.").WithPlaceholder("Forms", ReportPeriod.AcceptedForms);
    }
}

public sealed class GetReferralStatisticsHandler(IDbSession session, ICurrentPrincipal current)
    : IQueryHandler<GetReferralStatisticsQuery, ReferralStatistics>
{
    public async ValueTask<ReferralStatistics> Handle(GetReferralStatisticsQuery query, CancellationToken ct)
    {
        var principal = current.Principal!;
        ReportPeriod.TryParse(query.Period, out var period);
        var network = principal.HasAny(Role.NetworkAdmin, Role.Auditor);
        var dimension = StatisticsDimensions.All[query.GroupBy!];
        var sql = new StatisticsSql(session, session.Dialect, network ? null : principal.OrganisationId);
        var keys = dimension.FixedKeys ?? (dimension.KeysSql is { } keysSql ? await sql.KeysAsync(keysSql, ct) : null);

        // Each month is protected on its own; a quarter shows only what its three months already show (see StatisticsProtection).
        var months = new List<ProtectedTable>();
        foreach (var month in period.Months)
            months.Add(StatisticsProtection.Protect(await sql.CountsAsync(dimension, month, ct), dimension.Partition, keys));
        var table = period.IsQuarter ? StatisticsProtection.Combine(months, dimension.Partition, keys) : months[0];

        var figures = await sql.FiguresAsync(dimension, period, ct);
        var totalFigures = (await sql.FiguresAsync(null, period, ct)).GetValueOrDefault(StatisticsSql.TotalKey);
        var cells = table.Counts.Keys.Where(k => !table.Hidden.Contains(k) && !table.Withheld)
            .OrderBy(k => StatisticsDimension.OrderOf(keys, k)).ThenBy(k => k, StringComparer.Ordinal)
            .Select(k => figures[k] is var f ? new StatisticsCell(k, f.Count, f.Acknowledge, f.Accept, f.Complete, f.MissRate) : null!).ToList();
        var total = table.Withheld || totalFigures is null
            ? new StatisticsTotal(table.Withheld ? null : 0, table.Withheld, null, null, null, null)
            : new StatisticsTotal(totalFigures.Count, false, totalFigures.Acknowledge, totalFigures.Accept, totalFigures.Complete, totalFigures.MissRate);
        return new ReferralStatistics(period.Code, period.From, period.To, query.GroupBy!, network ? "network" : "organisation", SmallCellSuppression.Threshold,
            StatisticsProtection.MinimumPopulation, keys, total, cells, table.Withheld ? null : table.Hidden.Count);
    }
}
