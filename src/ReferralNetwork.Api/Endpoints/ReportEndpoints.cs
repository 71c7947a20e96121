using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using ReferralNetwork.Api.Limits;
using ReferralNetwork.Api.Reports;
using ReferralNetwork.Application.Features.Reports;

namespace ReferralNetwork.Api.Endpoints;

public static class ReportEndpoints
{
    public static void MapReportEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/reports", "Reports");

        group.MapGet("/indicators", async Task<Results<Ok<IndicatorsReport>, FileContentHttpResult>> (IMediator mediator, CancellationToken ct,
                string? period = null, string? groupBy = null, string? format = null) =>
            {
                if (format is null) return TypedResults.Ok(await mediator.Send(new GetIndicatorsQuery(period, groupBy), ct));
                var report = await mediator.Send(new ExportIndicatorsCommand(period, groupBy, format), ct);
                return ReportFile(ReportTables.Of(report), format, $"indicators-{report.GroupedBy}-{report.Period}");
            })
            .WithName("GetIndicators")
            .WithSummary("Performance indicators for a month or quarter by organisation (as sender, receiver and duty holder), protocol or service; " +
                "small counts of people withheld. format=csv|xlsx exports them (audited).")
            .WithDescription("`period` is a calendar month (`2026-11`) or quarter (`2026-Q4`), UTC. Per row: referrals sent and received, median and " +
                "90th-percentile hours from submission to acknowledgement, decision and completion, the share of duties met on time and breaches by " +
                "duty kind (duties and breaches by their due time), outcomes by code, redirect and decline rates and decline reasons. Counts of " +
                "referrals under 5 are withheld, with complementary cells so that none follows from a row or column; a duration or share measured " +
                "over fewer than 5 is withheld; `suppressed` names each withheld field by row (a map by how many of its cells), never by code. " +
                "The network admin and auditors see the network; an organisation's admin or supervisor its own rows. " +
                "With `format=csv` or `format=xlsx` the same rows come as a file, and a `report.exported` audit event records who exported what. " +
                "At most `Reports:ConcurrentQueriesPerKey` report queries per caller at once (429 with Retry-After beyond).")
            .WithReportConcurrency()
            .Problems(400, 403);
    }

    public static FileContentHttpResult ReportFile(ReportTable table, string format, string name) => format == ReportFormats.Xlsx
        ? TypedResults.File(table.ToXlsx(), ReportTable.XlsxMediaType, name + ".xlsx")
        : TypedResults.File(System.Text.Encoding.UTF8.GetBytes(table.ToCsv()), ReportTable.CsvMediaType + "; charset=utf-8", name + ".csv");

    /// <summary>CSV when the client asks for it and prefers it to JSON (by quality, then by order).</summary>
    public static bool WantsCsv(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted)) return false;
        var ranked = accepted.Where(a => a.Quality is not 0).OrderByDescending(a => a.Quality ?? 1).ToList();
        var first = ranked.FirstOrDefault(a => a.MediaType.Equals(ReportTable.CsvMediaType, StringComparison.OrdinalIgnoreCase)
            || a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase));
        return first is not null && first.MediaType.Equals(ReportTable.CsvMediaType, StringComparison.OrdinalIgnoreCase);
    }
}
