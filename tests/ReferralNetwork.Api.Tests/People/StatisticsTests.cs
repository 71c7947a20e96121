using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.People;

/// <summary>
/// Statistics over HTTP. Each test moves the clock a year on and asks from that moment, so it sees only its own
/// referrals. Acknowledgement, decision, completion and missed deadlines belong to other branches' features; their
/// columns and rows are written straight into the tables here.
/// </summary>
public abstract class StatisticsTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private string StartPeriod()
    {
        fixture.Time.Advance(TimeSpan.FromDays(400));
        return Uri.EscapeDataString(fixture.Time.GetUtcNow().ToString("O"));
    }

    private async Task<List<Guid>> SubmitManyAsync(TestOrganisation from, TestOrganisation to, int count, string sex = "female", int birthYear = 1990,
        string service = "legal_aid", string[]? vulnerabilities = null)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var person = PeopleApi.Person($"P{i}", "Test", birthYear: birthYear, sex: sex, vulnerabilities: vulnerabilities);
            ids.Add((await _network.SubmitAsync(from, to, TestNetwork.Referral(to.Id, person, service)))["id"]!.GetValue<Guid>());
        }
        return ids;
    }

    private static JsonObject CellOf(JsonObject statistics, string key) =>
        statistics["cells"]!.AsArray().Single(c => c!["key"]!.GetValue<string>() == key)!.AsObject();

    private static bool Hidden(JsonObject cell) => cell["count"]!.GetValueKind() == JsonValueKind.String && cell["count"]!.GetValue<string>() == "<5"
        && cell["suppressed"]!.GetValue<bool>() && cell["medianHoursToAcknowledge"] is null && cell["deadlineMissRate"] is null;

    [Fact]
    public async Task A_small_cell_is_hidden_and_so_is_the_next_smallest_so_it_cannot_be_derived_from_the_total()
    {
        var from = StartPeriod();
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        await SubmitManyAsync(a, b, 7, "female");
        await SubmitManyAsync(a, b, 6, "male");
        await SubmitManyAsync(a, b, 2, "other");

        var statistics = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=sex&from={from}"))!;
        Assert.Equal("sex", statistics["groupBy"]!.GetValue<string>());
        Assert.Equal("organisation", statistics["scope"]!.GetValue<string>());
        Assert.Equal(15, statistics["total"]!["count"]!.GetValue<int>());
        Assert.Equal(7, CellOf(statistics, "female")["count"]!.GetValue<int>());
        Assert.True(Hidden(CellOf(statistics, "other")));
        // 15 − 7 would give "other" away if "male" (6) were shown.
        Assert.True(Hidden(CellOf(statistics, "male")));
        Assert.DoesNotContain("\"count\":6", statistics.ToJsonString());
        Assert.DoesNotContain("\"count\":2", statistics.ToJsonString());

        // Two small cells that pin each other down (1 + 1 = 15 − 13) take the last visible cell with them.
        var from2 = StartPeriod();
        await SubmitManyAsync(a, b, 13, "female");
        await SubmitManyAsync(a, b, 1, "male");
        await SubmitManyAsync(a, b, 1, "unknown");
        var pinned = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=sex&from={from2}"))!;
        Assert.Equal(15, pinned["total"]!["count"]!.GetValue<int>());
        Assert.All(pinned["cells"]!.AsArray(), c => Assert.True(Hidden(c!.AsObject())));

        // Nothing small: nothing hidden.
        var from3 = StartPeriod();
        await SubmitManyAsync(a, b, 5, "female");
        await SubmitManyAsync(a, b, 6, "male");
        var clear = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=sex&from={from3}"))!;
        Assert.Equal([5, 6], clear["cells"]!.AsArray().Select(c => c!["count"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Medians_and_deadline_miss_rate_come_from_the_referrals_times()
    {
        var from = StartPeriod();
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        var ids = await SubmitManyAsync(a, b, 6);
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

        var statistics = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=service&from={from}"))!;
        var legalAid = CellOf(statistics, "legal_aid");
        Assert.Equal(6, legalAid["count"]!.GetValue<int>());
        Assert.Equal(3.5, legalAid["medianHoursToAcknowledge"]!.GetValue<double>());   // 1 2 3 4 5 30
        Assert.Equal(5.0, legalAid["medianHoursToAccept"]!.GetValue<double>());        // 2 4 6 8
        Assert.Equal(48.0, legalAid["medianHoursToComplete"]!.GetValue<double>());     // 24 48 72
        Assert.Equal(0.333, legalAid["deadlineMissRate"]!.GetValue<double>());

        var outcomes = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=outcome&from={from}"))!;
        Assert.Equal(["lost_contact", "open", "partially_provided", "rejected", "service_provided"],
            outcomes["cells"]!.AsArray().Select(c => c!["key"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Network_admin_and_auditor_see_the_network_others_their_own_organisations_referrals()
    {
        var from = StartPeriod();
        var a = await _network.OrganisationAsync("ngo", municipality: "Subotica");
        var b = await _network.OrganisationAsync("ngo");
        var c = await _network.OrganisationAsync("health_centre", municipality: "Šid");
        var d = await _network.OrganisationAsync("ngo");
        await SubmitManyAsync(a, b, 5, birthYear: 2026 + 1 - 30);
        await SubmitManyAsync(c, b, 6, birthYear: 2026 + 1 - 70);
        var auditor = fixture.Client(await _network.KeyAsync(a.Id, "auditor"));
        var orgAdmin = fixture.Client(await _network.KeyAsync(d.Id, "org_admin"));

        foreach (var network in new[] { fixture.Admin(), auditor })
        {
            var all = (await network.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=municipality&from={from}"))!;
            Assert.Equal("network", all["scope"]!.GetValue<string>());
            Assert.Equal(11, all["total"]!["count"]!.GetValue<int>());
            Assert.Equal(5, CellOf(all, "Subotica")["count"]!.GetValue<int>());
            Assert.Equal(6, CellOf(all, "Šid")["count"]!.GetValue<int>());
        }
        var own = (await a.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=ageBand&from={from}"))!;
        Assert.Equal(5, own["total"]!["count"]!.GetValue<int>());
        Assert.Equal(5, CellOf(own, "26-59")["count"]!.GetValue<int>());
        var receiver = (await b.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=ageBand&from={from}"))!;
        Assert.Equal(["26-59", "60+"], receiver["cells"]!.AsArray().Select(x => x!["key"]!.GetValue<string>()));
        var none = (await orgAdmin.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=receiverKind&from={from}"))!;
        Assert.Equal("organisation", none["scope"]!.GetValue<string>());
        Assert.Equal(0, none["total"]!["count"]!.GetValue<int>());
        Assert.Empty(none["cells"]!.AsArray());
        // "to" is exclusive: a period ending at the moment of these referrals holds none of them.
        var earlier = Uri.EscapeDataString(fixture.Time.GetUtcNow().AddHours(-1).ToString("O"));
        var before = (await fixture.Admin().GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=protocol&from={earlier}&to={from}"))!;
        Assert.Equal(0, before["total"]!["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Csv_on_request_with_withheld_cells_and_the_total_last()
    {
        var from = StartPeriod();
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        await SubmitManyAsync(a, b, 6, vulnerabilities: ["single_parent"]);
        await SubmitManyAsync(a, b, 1, vulnerabilities: ["disability", "chronic_illness"]);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/statistics/referrals?groupBy=vulnerability&from={from}");
        request.Headers.Accept.ParseAdd("text/csv");
        var response = await a.Caseworker.SendAsync(request);
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("vulnerability,count,medianHoursToAcknowledge,medianHoursToAccept,medianHoursToComplete,deadlineMissRate", lines[0]);
        Assert.Equal(["chronic_illness,<5,,,,", "disability,<5,,,,", "single_parent,6,,,,0"], lines[1..4]);
        Assert.Equal("(total),7,,,,0", lines[4]);
        Assert.Equal(5, lines.Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("groupBy=name")]
    [InlineData("groupBy=sex&from=yesterday")]
    [InlineData("groupBy=sex&from=2026-05-01&to=2026-04-01")]
    public async Task Bad_parameters_are_400(string query)
    {
        var a = await _network.OrganisationAsync();
        await PeopleApi.ProblemAsync(await a.Caseworker.GetAsync($"/api/v1/statistics/referrals?{query}"), HttpStatusCode.BadRequest);
    }
}

public sealed class StatisticsTests_Sqlite(SqliteApiFixture fixture) : StatisticsTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class StatisticsTests_Postgres(PostgresApiFixture fixture) : StatisticsTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class StatisticsTests_SqlServer(SqlServerApiFixture fixture) : StatisticsTests(fixture), IClassFixture<SqlServerApiFixture>;
