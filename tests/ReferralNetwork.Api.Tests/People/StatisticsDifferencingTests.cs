using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Limits;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Features.Statistics;
using static ReferralNetwork.Api.Tests.People.StatisticsTests;

namespace ReferralNetwork.Api.Tests.People;

/// <summary>
/// The security review's differencing attack, replayed against what the API now publishes: narrow windows, months
/// against their quarter, totals minus visible cells, adjacent groupings, and a month holding one referral. The attacker
/// is the referring organisation's caseworker and the network admin; every value the attacker can derive must be 0 or
/// at least k = 5.
/// </summary>
public abstract class StatisticsDifferencingTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);
    private static readonly string[] Dimensions = ["sex", "ageBand", "vulnerability", "service", "outcome"];

    [Fact]
    public async Task The_differencing_attack_recovers_nothing_below_five()
    {
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        // M1: 6 female, 5 other. M2: 8 female, 5 male, 3 other. M3: 6 female, 5 other.
        var m1 = StartQuarter(fixture);
        var quarter = Quarter(fixture);
        await SubmitManyAsync(_network, a, b, 6, "female");
        await SubmitManyAsync(_network, a, b, 5, "other");
        fixture.Time.Advance(TimeSpan.FromDays(31));
        var m2 = Month(fixture);
        await SubmitManyAsync(_network, a, b, 8, "female");
        await SubmitManyAsync(_network, a, b, 5, "male");
        await SubmitManyAsync(_network, a, b, 3, "other", vulnerabilities: ["survivor_of_violence"]);
        fixture.Time.Advance(TimeSpan.FromDays(31));
        var m3 = Month(fixture);
        await SubmitManyAsync(_network, a, b, 6, "female");
        await SubmitManyAsync(_network, a, b, 5, "other");
        // The next quarter opens with a single referral: the network's "first referral" of the review.
        fixture.Time.Advance(TimeSpan.FromDays(31));
        var lonelyMonth = Month(fixture);
        var lonelyQuarter = Quarter(fixture);
        await SubmitManyAsync(_network, a, b, 1, "male", vulnerabilities: ["survivor_of_violence"]);

        // Without the quarter rule the attack works: the quarter would show "other" = 13 and 13 − 5 − 5 = 3.
        var naive = SmallCellSuppression.Suppress([20, 5, 13], 38, partition: true);
        Assert.False(naive[2]);

        var derived = new List<string>();
        foreach (var attacker in new[] { a.Caseworker, fixture.Admin() })
        {
            // Narrow windows and instants are refused outright.
            foreach (var narrow in new[] { $"from={m2}-05T10:00:00Z&to={m2}-05T10:00:01Z", $"period={m2}-05", $"period={m2}-05T10:00:00Z", "period=2026-W45" })
                await PeopleApi.ProblemAsync(await attacker.GetAsync($"/api/v1/statistics/referrals?groupBy=sex&{narrow}"), HttpStatusCode.BadRequest);

            foreach (var dimension in Dimensions)
            {
                async Task<JsonObject> Get(string period) =>
                    (await attacker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy={dimension}&period={period}"))!;
                var months = new[] { await Get(m1), await Get(m2), await Get(m3) };
                var q = await Get(quarter);
                var partition = dimension is "sex" or "ageBand" or "outcome";
                foreach (var table in months.Append(q))
                {
                    // Totals minus visible cells: one withheld cell would be the difference; all-ones would be pinned too.
                    var total = table["total"]!["count"]!.GetValue<int>();
                    var withheld = table["withheldCells"]!.GetValue<int>();
                    var residual = total - Visible(table).Values.Sum();
                    if (partition && withheld == 1) derived.Add($"{dimension} {table["period"]}: the one withheld cell = {residual}");
                    if (partition && withheld > 0 && residual == withheld) derived.Add($"{dimension} {table["period"]}: all withheld cells = 1");
                }
                // The quarter against its months: a key the quarter shows, minus what the months show of it.
                foreach (var (key, count) in Visible(q))
                {
                    var residual = count - months.Sum(m => Visible(m).GetValueOrDefault(key));
                    if (residual is > 0 and < 5) derived.Add($"{dimension} {quarter} − months: {key} = {residual}");
                }
                var quarterTotal = q["total"]!["count"]!.GetValue<int>();
                Assert.Equal(quarterTotal, months.Sum(m => m["total"]!["count"]!.GetValue<int>()));
                // Adjacent groupings publish the same totals, never a different one to subtract.
                Assert.Equal(38, quarterTotal);

                // The month (and so the quarter) with one referral shows nothing but that it is withheld.
                foreach (var lonely in new[] { await Get(lonelyMonth), await Get(lonelyQuarter) })
                {
                    Assert.True(lonely["total"]!["withheld"]!.GetValue<bool>());
                    Assert.Null(lonely["total"]!["count"]);
                    Assert.Empty(lonely["cells"]!.AsArray());
                }

                // No withheld key is named anywhere.
                if (dimension == "sex")
                {
                    Assert.Null(CellOf(months[1], "other"));
                    Assert.Null(CellOf(months[1], "male"));
                    Assert.Null(CellOf(q, "other"));
                    Assert.Null(CellOf(q, "male"));
                    Assert.Equal(20, Count(q, "female"));
                }
                if (dimension == "vulnerability")
                    Assert.DoesNotContain("survivor_of_violence", months[1]["cells"]!.ToJsonString() + q["cells"]!.ToJsonString());
            }
        }
        Assert.Empty(derived);
    }

    [Fact]
    public async Task More_concurrent_report_queries_than_allowed_for_one_caller_are_429_with_retry_after()
    {
        var a = await _network.OrganisationAsync();
        var me = (await a.Caseworker.GetFromJsonAsync<JsonObject>("/api/v1/me"))!["principalId"]!.GetValue<Guid>().ToString();
        var concurrency = fixture.Factory.Services.GetRequiredService<ReportConcurrency>();
        var held = Enumerable.Range(0, concurrency.Options.ConcurrentQueriesPerKey).Select(_ => concurrency.Acquire(me)).ToList();
        Assert.All(held, l => Assert.True(l.IsAcquired));
        var path = "/api/v1/statistics/referrals?groupBy=sex&period=2026-11";
        var busy = await a.Caseworker.GetAsync(path);
        var problem = await PeopleApi.ProblemAsync(busy, HttpStatusCode.TooManyRequests);
        Assert.Equal("1", busy.Headers.RetryAfter?.ToString());
        Assert.Contains("report queries", problem["detail"]!.GetValue<string>());
        // Another caller is not held up, and the first may run again once its queries finish.
        await TestNetwork.Expect(await fixture.Admin().GetAsync(path), HttpStatusCode.OK);
        held.ForEach(l => l.Dispose());
        await TestNetwork.Expect(await a.Caseworker.GetAsync(path), HttpStatusCode.OK);
    }

    private static Dictionary<string, int> Visible(JsonObject table) =>
        table["cells"]!.AsArray().ToDictionary(c => c!["key"]!.GetValue<string>(), c => c!["count"]!.GetValue<int>());
}

public sealed class StatisticsDifferencingTests_Sqlite(SqliteApiFixture fixture) : StatisticsDifferencingTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class StatisticsDifferencingTests_Postgres(PostgresApiFixture fixture) : StatisticsDifferencingTests(fixture), IClassFixture<PostgresApiFixture>;
