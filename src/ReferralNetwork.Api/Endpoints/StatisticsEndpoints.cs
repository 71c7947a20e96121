using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using ReferralNetwork.Api.Limits;
using ReferralNetwork.Api.Reports;
using ReferralNetwork.Application.Features.Reports;
using ReferralNetwork.Application.Features.Statistics;

namespace ReferralNetwork.Api.Endpoints;

public static class StatisticsEndpoints
{
    public static void MapStatisticsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/statistics", "Statistics");

        group.MapGet("/referrals", async Task<Results<Ok<ReferralStatistics>, FileContentHttpResult>> (IMediator mediator, HttpContext http, CancellationToken ct,
                string? period = null, string? groupBy = null, string? format = null) =>
            {
                // Accept: text/csv is the older way to ask for format=csv; either way the export is audited.
                format ??= ReportEndpoints.WantsCsv(http.Request) ? ReportFormats.Csv : null;
                if (format is null) return TypedResults.Ok(await mediator.Send(new GetReferralStatisticsQuery(period, groupBy), ct));
                var statistics = await mediator.Send(new ExportStatisticsCommand(period, groupBy, format), ct);
                return ReportEndpoints.ReportFile(ReportTables.Of(statistics), format, $"statistics-{statistics.GroupBy}-{statistics.Period}");
            })
            .WithName("GetReferralStatistics")
            .WithSummary("Referral counts, median hours to acknowledge / accept / complete and deadline-miss rate per group for a month or quarter; small cells withheld. " +
                "format=csv|xlsx (or Accept: text/csv) exports them (audited).")
            .WithDescription("`period` is a calendar month (`2026-11`) or quarter (`2026-Q4`), UTC. Only published cells are listed: a withheld cell " +
                "(under 5, or withheld so that no small one can be derived from the total) shows neither count nor key; `keys` lists every key the " +
                "dimension can have. Under 10 referrals the whole table is withheld. A quarter shows only what its months show. " +
                "With `format=csv` (or `Accept: text/csv`) the same table comes as RFC 4180 CSV: a header line, one line per published cell, then `(total)`; " +
                "`format=xlsx` gives the same lines as a spreadsheet. Every export appends a `report.exported` audit event. " +
                "At most `Reports:ConcurrentQueriesPerKey` report queries per caller at once (429 with Retry-After beyond).")
            .WithReportConcurrency()
            .Problems(400, 403);
    }
}
