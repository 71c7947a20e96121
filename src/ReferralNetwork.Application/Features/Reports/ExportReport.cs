using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Statistics;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Reports;

/// <summary>The file formats a report exports to.</summary>
public static class ReportFormats
{
    public const string Csv = "csv";
    public const string Xlsx = "xlsx";
    public static readonly string[] All = [Csv, Xlsx];
}

/// <summary>
/// An export leaves the system as a file nobody can recall, so it is a command, not a query: the same report, plus a
/// <c>report.exported</c> event on the exporting organisation's audit stream — who (the event's actor), which report,
/// period, grouping and format — in the hash chain, listed by <c>GET /audit/activity?type=report.exported</c>. The API
/// renders the file (CSV or XLSX) from the report the command returns.
/// </summary>
[AllowedRoles(Role.NetworkAdmin, Role.Auditor, Role.OrgAdmin, Role.Supervisor)]
public sealed record ExportIndicatorsCommand(string? Period, string? GroupBy, string? Format) : ICommand<IndicatorsReport>;

[AllowedRoles(Role.NetworkAdmin, Role.Auditor, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record ExportStatisticsCommand(string? Period, string? GroupBy, string? Format) : ICommand<ReferralStatistics>;

public sealed class ExportIndicatorsValidator : AbstractValidator<ExportIndicatorsCommand>
{
    public ExportIndicatorsValidator()
    {
        RuleFor(c => c.GroupBy).IsIndicatorGrouping();
        RuleFor(c => c.Period).IsReportPeriod();
        RuleFor(c => c.Format).IsReportFormat();
    }
}

public sealed class ExportStatisticsValidator : AbstractValidator<ExportStatisticsCommand>
{
    public ExportStatisticsValidator()
    {
        RuleFor(c => c.GroupBy).Must(g => g is not null && StatisticsDimensions.All.ContainsKey(g))
            .WithMessage("groupBy is one of: {Allowed}.").WithPlaceholder("Allowed", string.Join(", ", StatisticsDimensions.All.Keys));
        RuleFor(c => c.Period).IsReportPeriod();
        RuleFor(c => c.Format).IsReportFormat();
    }
}

public static class ReportFormatRules
{
    public static IRuleBuilderOptions<T, string?> IsReportFormat<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(f => f is not null && ReportFormats.All.Contains(f))
            .WithMessage("format is one of: {Allowed}.").WithPlaceholder("Allowed", string.Join(", ", ReportFormats.All));
}

public sealed class ExportIndicatorsHandler(IDbSession session, ICurrentPrincipal current, Clock clock, IAuditLog audit)
    : ICommandHandler<ExportIndicatorsCommand, IndicatorsReport>
{
    public async ValueTask<IndicatorsReport> Handle(ExportIndicatorsCommand command, CancellationToken ct)
    {
        var report = await new GetIndicatorsHandler(session, current, clock).Handle(new GetIndicatorsQuery(command.Period, command.GroupBy), ct);
        ReportExports.Record(audit, current.Principal!, "indicators", report.Period, report.GroupedBy, command.Format!, report.Scope);
        return report;
    }
}

public sealed class ExportStatisticsHandler(IDbSession session, ICurrentPrincipal current, IAuditLog audit)
    : ICommandHandler<ExportStatisticsCommand, ReferralStatistics>
{
    public async ValueTask<ReferralStatistics> Handle(ExportStatisticsCommand command, CancellationToken ct)
    {
        var statistics = await new GetReferralStatisticsHandler(session, current).Handle(new GetReferralStatisticsQuery(command.Period, command.GroupBy), ct);
        ReportExports.Record(audit, current.Principal!, "statistics", statistics.Period, statistics.GroupBy, command.Format!, statistics.Scope);
        return statistics;
    }
}

public static class ReportExports
{
    public const string EventType = "report.exported";

    public static void Record(IAuditLog audit, Principal principal, string report, string period, string groupBy, string format, string scope) =>
        audit.Record(new AuditEntry(AuditStreams.Organisation(principal.OrganisationId), EventType, new Dictionary<string, object?>
        {
            ["report"] = report, ["period"] = period, ["groupBy"] = groupBy, ["format"] = format, ["scope"] = scope,
            ["organisationId"] = principal.OrganisationId,
        }));
}
