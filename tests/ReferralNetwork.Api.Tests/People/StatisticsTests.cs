using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.People;

/// <summary>
/// Statistics over HTTP. Each test moves the clock more than a year on, to the first day of a quarter, so its month
/// (and quarter) holds only its own referrals. Acknowledgement, decision, completion and missed deadlines belong to
/// other features; their columns and rows are written straight into the tables here.
/// </summary>
public abstract class StatisticsTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    /// <summary>Moves to the 2nd day of a quarter over a year ahead and names its month.</summary>
    internal static string StartQuarter(ApiFixture fixture)
    {
        var later = fixture.Time.GetUtcNow().AddDays(400);
        var next = new DateTimeOffset(later.Year, (later.Month - 1) / 3 * 3 + 1, 2, 9, 0, 0, TimeSpan.Zero).AddMonths(3);
        fixture.Time.Advance(next - fixture.Time.GetUtcNow());
        return Month(fixture);
    }

    internal static string Month(ApiFixture fixture) => fixture.Time.GetUtcNow().ToString("yyyy-MM", CultureInfo.InvariantCulture);

    internal static string Quarter(ApiFixture fixture) => $"{fixture.Time.GetUtcNow().Year}-Q{(fixture.Time.GetUtcNow().Month - 1) / 3 + 1}";

    internal static async Task<List<Guid>> SubmitManyAsync(TestNetwork network, TestOrganisation from, TestOrganisation to, int count, string sex = "female",
        int birthYear = 1990, string service = "legal_aid", string[]? vulnerabilities = null)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var person = PeopleApi.Person($"P{i}", "Test", birthYear: birthYear, sex: sex, vulnerabilities: vulnerabilities);
            ids.Add((await network.SubmitAsync(from, to, TestNetwork.Referral(to.Id, person, service)))["id"]!.GetValue<Guid>());
        }
        return ids;
    }

    private Task<List<Guid>> SubmitManyAsync(TestOrganisation from, TestOrganisation to, int count, string sex = "female", int birthYear = 1990,
        string[]? vulnerabilities = null) => SubmitManyAsync(_network, from, to, count, sex, birthYear, vulnerabilities: vulnerabilities);

    internal static JsonObject? CellOf(JsonObject statistics, string key) =>
        statistics["cells"]!.AsArray().SingleOrDefault(c => c!["key"]!.GetValue<string>() == key)?.AsObject();

    internal static int Count(JsonObject statistics, string key) => CellOf(statistics, key)!["count"]!.GetValue<int>();

    [Fact]
    public async Task A_small_cell_and_the_next_smallest_are_left_out_count_and_key_so_neither_follows_from_the_total()
    {
        var period = StartQuarter(fixture);
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        await SubmitManyAsync(a, b, 7, "female");
        await SubmitManyAsync(a, b, 6, "male");
        await SubmitManyAsync(a, b, 2, "other");

        var statistics = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=sex&period={period}"))!;
        Assert.Equal(period, statistics["period"]!.GetValue<string>());
        Assert.Equal("sex", statistics["groupBy"]!.GetValue<string>());
        Assert.Equal("organisation", statistics["scope"]!.GetValue<string>());
        Assert.Equal(10, statistics["minimumPopulation"]!.GetValue<int>());
        Assert.Equal(["female", "male", "other", "unknown"], statistics["keys"]!.AsArray().Select(k => k!.GetValue<string>()));
        Assert.Equal(15, statistics["total"]!["count"]!.GetValue<int>());
        Assert.Equal(7, Count(statistics, "female"));
        // 15 − 7 would give "other" away if "male" (6) were shown; neither is listed, not even by key.
        Assert.Single(statistics["cells"]!.AsArray());
        Assert.Equal(2, statistics["withheldCells"]!.GetValue<int>());
        var json = statistics["cells"]!.ToJsonString();
        Assert.DoesNotContain("\"male\"", json);
        Assert.DoesNotContain("\"other\"", json);

        // Two small cells that pin each other down (1 + 1 = 15 − 13) take the last visible cell with them.
        var next = StartQuarter(fixture);
        await SubmitManyAsync(a, b, 13, "female");
        await SubmitManyAsync(a, b, 1, "male");
        await SubmitManyAsync(a, b, 1, "unknown");
        var pinned = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=sex&period={next}"))!;
        Assert.Equal(15, pinned["total"]!["count"]!.GetValue<int>());
        Assert.Empty(pinned["cells"]!.AsArray());
        Assert.Equal(3, pinned["withheldCells"]!.GetValue<int>());

        // Nothing small: nothing withheld.
        var clear = StartQuarter(fixture);
        await SubmitManyAsync(a, b, 5, "female");
        await SubmitManyAsync(a, b, 6, "male");
        var shown = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=sex&period={clear}"))!;
        Assert.Equal([5, 6], shown["cells"]!.AsArray().Select(c => c!["count"]!.GetValue<int>()));
        Assert.Equal(0, shown["withheldCells"]!.GetValue<int>());
    }

    [Fact]
    public async Task Under_the_minimum_population_the_whole_table_is_withheld()
    {
        var period = StartQuarter(fixture);
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        await SubmitManyAsync(a, b, 9, "female");
        var statistics = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=sex&period={period}"))!;
        Assert.True(statistics["total"]!["withheld"]!.GetValue<bool>());
        Assert.Null(statistics["total"]!["count"]);
        Assert.Null(statistics["total"]!["medianHoursToAcknowledge"]);
        Assert.Empty(statistics["cells"]!.AsArray());
        Assert.Null(statistics["withheldCells"]);

        await SubmitManyAsync(a, b, 1, "female");
        var ten = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=sex&period={period}"))!;
        Assert.False(ten["total"]!["withheld"]!.GetValue<bool>());
        Assert.Equal(10, Count(ten, "female"));
    }

    [Fact]
    public async Task Medians_and_deadline_miss_rate_are_computed_by_the_database_from_the_referrals_times()
    {
        var period = StartQuarter(fixture);
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        var ids = await SubmitManyAsync(a, b, 10);
        var created = fixture.Time.GetUtcNow();
        await using var connection = await fixture.OpenAsync();
        async Task SetAsync(Guid id, double ack, double? decided, double? finished, string status, string? outcome = null) =>
            await connection.ExecuteAsync("""
                UPDATE referrals SET acknowledged_at = @Ack, decided_at = @Decided, finished_at = @Finished, status = @Status, outcome = @Outcome
                WHERE id = @Id
                """, new
            {
                Id = id, Ack = created.AddHours(ack), Decided = decided is null ? (DateTimeOffset?)null : created.AddHours(decided.Value),
                Finished = finished is null ? (DateTimeOffset?)null : created.AddHours(finished.Value), Status = status, Outcome = outcome,
            });
        await SetAsync(ids[0], 1, 2, 24, "completed", "service_provided");
        await SetAsync(ids[1], 2, 4, 48, "completed", "partially_provided");
        await SetAsync(ids[2], 3, 6, 72, "failed", "lost_contact");
        await SetAsync(ids[3], 4, 8, null, "in-progress");
        await SetAsync(ids[4], 5, 1, 1, "rejected");              // a decline: decided, but not accepted nor completed
        await SetAsync(ids[5], 30, null, null, "received");
        foreach (var id in ids.Take(2))
            await connection.ExecuteAsync("""
                INSERT INTO deadline_breaches (referral_id, deadline, due_at, detected_at, responsible_organisation_id, protocol_code, protocol_version)
                VALUES (@Id, 'acknowledge', @Due, @Due, @Org, 'standard', 1)
                """, new { Id = id, Due = created.AddHours(24), Org = a.Id });

        var statistics = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=service&period={period}"))!;
        var legalAid = CellOf(statistics, "legal_aid")!;
        Assert.Equal(10, legalAid["count"]!.GetValue<int>());
        Assert.Equal(3.5, legalAid["medianHoursToAcknowledge"]!.GetValue<double>());   // 1 2 3 4 5 30
        Assert.Equal(5.0, legalAid["medianHoursToAccept"]!.GetValue<double>());        // 2 4 6 8
        Assert.Equal(48.0, legalAid["medianHoursToComplete"]!.GetValue<double>());     // 24 48 72
        Assert.Equal(0.2, legalAid["deadlineMissRate"]!.GetValue<double>());
        Assert.Equal(3.5, statistics["total"]!["medianHoursToAcknowledge"]!.GetValue<double>());
        Assert.Contains("legal_aid", statistics["keys"]!.AsArray().Select(k => k!.GetValue<string>()));

        // Outcomes: open 6 and four cells of 1 — the four would sum to exactly 4 = 10 − 6, so "open" goes too.
        var outcomes = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=outcome&period={period}"))!;
        Assert.Empty(outcomes["cells"]!.AsArray());
        Assert.Equal(5, outcomes["withheldCells"]!.GetValue<int>());
        Assert.Equal(10, outcomes["total"]!["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Network_admin_and_auditor_see_the_network_others_their_own_organisations_referrals()
    {
        var period = StartQuarter(fixture);
        var a = await _network.OrganisationAsync("ngo", municipality: "Subotica");
        var b = await _network.OrganisationAsync("ngo");
        var c = await _network.OrganisationAsync("health_centre", municipality: "Šid");
        var d = await _network.OrganisationAsync("ngo");
        var year = fixture.Time.GetUtcNow().Year;
        await SubmitManyAsync(a, b, 10, birthYear: year - 30);
        await SubmitManyAsync(c, b, 6, birthYear: year - 70);
        var auditor = fixture.Client(await _network.KeyAsync(a.Id, "auditor"));
        var orgAdmin = fixture.Client(await _network.KeyAsync(d.Id, "org_admin"));

        foreach (var network in new[] { fixture.Admin(), auditor })
        {
            var all = (await network.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=municipality&period={period}"))!;
            Assert.Equal("network", all["scope"]!.GetValue<string>());
            Assert.Equal(16, all["total"]!["count"]!.GetValue<int>());
            Assert.Equal(10, Count(all, "Subotica"));
            Assert.Equal(6, Count(all, "Šid"));
            Assert.Contains("Beograd", all["keys"]!.AsArray().Select(k => k!.GetValue<string>()));
        }
        var own = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=ageBand&period={period}"))!;
        Assert.Equal(10, own["total"]!["count"]!.GetValue<int>());
        Assert.Equal(10, Count(own, "26-59"));
        var receiver = (await b.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=ageBand&period={period}"))!;
        Assert.Equal(["26-59", "60+"], receiver["cells"]!.AsArray().Select(x => x!["key"]!.GetValue<string>()));
        var none = (await orgAdmin.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=receiverKind&period={period}"))!;
        Assert.Equal("organisation", none["scope"]!.GetValue<string>());
        Assert.Equal(0, none["total"]!["count"]!.GetValue<int>());
        Assert.False(none["total"]!["withheld"]!.GetValue<bool>());
        Assert.Empty(none["cells"]!.AsArray());
        // The month before holds none of them; the quarter holds all of them.
        var before = fixture.Time.GetUtcNow().AddMonths(-1).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        Assert.Equal(0, (await fixture.Admin().GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=protocol&period={before}"))!["total"]!["count"]!.GetValue<int>());
        Assert.Equal(16, (await fixture.Admin().GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=protocol&period={Quarter(fixture)}"))!["total"]!["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Csv_on_request_lists_the_published_cells_and_the_total_last()
    {
        var period = StartQuarter(fixture);
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        await SubmitManyAsync(a, b, 10, vulnerabilities: ["single_parent"]);
        await SubmitManyAsync(a, b, 1, vulnerabilities: ["disability", "chronic_illness"]);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/statistics/referrals?groupBy=vulnerability&period={period}");
        request.Headers.Accept.ParseAdd("text/csv");
        var response = await a.Caseworker.SendAsync(request);
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["vulnerability,count,medianHoursToAcknowledge,medianHoursToAccept,medianHoursToComplete,deadlineMissRate",
            "single_parent,10,,,,0", "(total),11,,,,0"], lines);
    }

    [Theory]
    [InlineData("", "groupBy")]
    [InlineData("period=2026-11&groupBy=name", "groupBy")]
    [InlineData("groupBy=sex", "period")]
    [InlineData("groupBy=sex&from=2026-01-01&to=9999-12-31", "period")]
    [InlineData("groupBy=sex&period=2026-11-01", "period")]
    [InlineData("groupBy=sex&period=2026-13", "period")]
    [InlineData("groupBy=sex&period=2026-Q5", "period")]
    [InlineData("groupBy=sex&period=9999-12", "period")]
    [InlineData("groupBy=sex&period=2026-11-01T10:00:00Z", "period")]
    public async Task Bad_parameters_are_400_naming_the_field_and_the_accepted_values(string query, string field)
    {
        var a = await _network.OrganisationAsync();
        var problem = await PeopleApi.ProblemAsync(await a.Caseworker.GetAsync($"/api/v1/statistics/referrals?{query}"), HttpStatusCode.BadRequest);
        var message = problem["errors"]![field]![0]!.GetValue<string>();
        Assert.Contains(field == "period" ? "2026-Q4" : "vulnerability", message);
    }
}

public sealed class StatisticsTests_Sqlite(SqliteApiFixture fixture) : StatisticsTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class StatisticsTests_Postgres(PostgresApiFixture fixture) : StatisticsTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class StatisticsTests_SqlServer(SqlServerApiFixture fixture) : StatisticsTests(fixture), IClassFixture<SqlServerApiFixture>;
