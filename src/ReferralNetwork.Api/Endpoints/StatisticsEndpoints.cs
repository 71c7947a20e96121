using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;
using ReferralNetwork.Application.Features.Statistics;

namespace ReferralNetwork.Api.Endpoints;

public static class StatisticsEndpoints
{
    public static void MapStatisticsEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/statistics", "Statistics");

        group.MapGet("/referrals", async Task<Results<Ok<ReferralStatistics>, ContentHttpResult>> (IMediator mediator, HttpContext http, CancellationToken ct,
                string? from = null, string? to = null, string? groupBy = null) =>
            {
                var statistics = await mediator.Send(new GetReferralStatisticsQuery(from, to, groupBy), ct);
                return WantsCsv(http.Request)
                    ? TypedResults.Text(StatisticsCsv.Write(statistics), StatisticsCsv.MediaType + "; charset=utf-8")
                    : TypedResults.Ok(statistics);
            })
            .WithName("GetReferralStatistics")
            .WithSummary("Referral counts, median hours to acknowledge / accept / complete and deadline-miss rate per group; cells under 5 suppressed. CSV with Accept: text/csv.")
            .WithDescription("With `Accept: text/csv` the same table comes as RFC 4180 CSV: a header line, one line per cell, then `(total)`; " +
                "withheld cells read `<5` with empty figures. A date-only `to` includes that day; without `to` everything up to now is counted.")
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
