using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using ReferralNetwork.Api.Limits;
using ReferralNetwork.Application.Features.Statistics;

namespace ReferralNetwork.Api.Endpoints;

public static class StatisticsEndpoints
{
    public static void MapStatisticsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/statistics", "Statistics");

        group.MapGet("/referrals", async Task<Results<Ok<ReferralStatistics>, ContentHttpResult>> (IMediator mediator, HttpContext http, CancellationToken ct,
                string? period = null, string? groupBy = null) =>
            {
                var statistics = await mediator.Send(new GetReferralStatisticsQuery(period, groupBy), ct);
                return WantsCsv(http.Request)
                    ? TypedResults.Text(StatisticsCsv.Write(statistics), StatisticsCsv.MediaType + "; charset=utf-8")
                    : TypedResults.Ok(statistics);
            })
            .WithName("GetReferralStatistics")
            .WithSummary("Referral counts, median hours to acknowledge / accept / complete and deadline-miss rate per group for a month or quarter; small cells withheld. CSV with Accept: text/csv.")
            .WithDescription("`period` is a calendar month (`2026-11`) or quarter (`2026-Q4`), UTC. Only published cells are listed: a withheld cell " +
                "(under 5, or withheld so that no small one can be derived from the total) shows neither count nor key; `keys` lists every key the " +
                "dimension can have. Under 10 referrals the whole table is withheld. A quarter shows only what its months show. " +
                "With `Accept: text/csv` the same table comes as RFC 4180 CSV: a header line, one line per published cell, then `(total)`. " +
                "At most `Reports:ConcurrentQueriesPerKey` report queries per caller at once (429 with Retry-After beyond).")
            .WithReportConcurrency()
            .Problems(400, 403);
    }

    /// <summary>CSV when the client asks for it and prefers it to JSON (by quality, then by order).</summary>
    private static bool WantsCsv(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted)) return false;
        var ranked = accepted.Where(a => a.Quality is not 0).OrderByDescending(a => a.Quality ?? 1).ToList();
        var first = ranked.FirstOrDefault(a => a.MediaType.Equals(StatisticsCsv.MediaType, StringComparison.OrdinalIgnoreCase)
            || a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase));
        return first is not null && first.MediaType.Equals(StatisticsCsv.MediaType, StringComparison.OrdinalIgnoreCase);
    }
}
