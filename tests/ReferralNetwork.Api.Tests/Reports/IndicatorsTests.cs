using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Audit;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Lifecycle;
using ReferralNetwork.Api.Tests.People;
using ReferralNetwork.Infrastructure.Deadlines;

namespace ReferralNetwork.Api.Tests.Reports;

/// <summary>
/// Indicators over HTTP from a scenario played through the API on the test clock: ten urgent referrals under the
/// standard protocol (acknowledge within 24 h, decide within 72 h), three acknowledged late and two never decided, the
/// deadline monitor recording the breaches. Every expected number below is worked out by hand in the comments.
/// Each test moves the clock to a fresh quarter, so its month holds only its own referrals.
/// </summary>
public abstract class IndicatorsTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private async Task RunMonitorAsync()
    {
        await using var scope = fixture.Factory.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DeadlineMonitor>().RunOnceAsync(CancellationToken.None);
    }

    private void Advance(double hours) => fixture.Time.Advance(TimeSpan.FromHours(hours));

    /// <summary>A (referrer) sends B (receiver) ten referrals at t0 and B handles them as described; returns the period.</summary>
    private async Task<(string Period, TestOrganisation A, TestOrganisation B)> ScenarioAsync(string? referrerName = null)
    {
        var period = StatisticsTests.StartQuarter(fixture);
        var a = await _network.OrganisationAsync(name: referrerName);
        var b = await _network.OrganisationAsync();
        var ids = await StatisticsTests.SubmitManyAsync(_network, a, b, 10);
        // Acknowledged after 1, 2, …, 7 hours (on time), then — the monitor having found three missed at 25 h — at 30, 40 and 50 hours.
        for (var i = 0; i < 7; i++)
        {
            Advance(1);
            await b.Caseworker.MoveAsync(ids[i], "acknowledge");
        }
        Advance(18);
        await RunMonitorAsync();
        Advance(5);
        await b.Caseworker.MoveAsync(ids[7], "acknowledge");
        Advance(10);
        await b.Caseworker.MoveAsync(ids[8], "acknowledge");
        Advance(10);
        await b.Caseworker.MoveAsync(ids[9], "acknowledge");
        // Decided: three accepted at 50 h; three accepted and two declined at 60 h; the last two never (missed at 72 h).
        for (var i = 0; i < 3; i++) await b.Caseworker.MoveAsync(ids[i], "accept");
        Advance(10);
        for (var i = 3; i < 6; i++) await b.Caseworker.MoveAsync(ids[i], "accept");
        await b.Caseworker.MoveAsync(ids[6], "decline", new { reasonCode = "no_capacity" });
        await b.Caseworker.MoveAsync(ids[7], "decline", new { reasonCode = "not_eligible" });
        Advance(13);
        await RunMonitorAsync();
        // Completed at 80 h: five with service provided; the sixth accepted one stays in progress.
        Advance(7);
        for (var i = 0; i < 5; i++)
        {
            await b.Caseworker.MoveAsync(ids[i], "start");
            await b.Caseworker.MoveAsync(ids[i], "complete", new { outcome = "service_provided" });
        }
        return (period, a, b);
    }

    private static JsonObject RowOf(JsonObject report, Guid organisation) =>
        report["rows"]!.AsArray().Single(r => r!["key"]!.GetValue<string>() == organisation.ToString())!.AsObject();

    private static double? Number(JsonNode? node) => node?.GetValue<double>();

    [Fact]
    public async Task Indicators_by_organisation_match_the_hand_computed_figures_of_the_scenario()
    {
        var (period, a, b) = await ScenarioAsync();
        var auditor = fixture.Client(await _network.KeyAsync(a.Id, "auditor"));
        var report = (await auditor.GetFromJsonAsync<JsonObject>($"/api/v1/reports/indicators?period={period}&groupBy=organisation"))!;
        Assert.Equal(period, report["period"]!.GetValue<string>());
        Assert.Equal("network", report["scope"]!.GetValue<string>());

        var sender = RowOf(report, a.Id);
        Assert.Equal(10, sender["sent"]!.GetValue<int>());
        Assert.Equal(0, sender["received"]!.GetValue<int>());
        Assert.DoesNotContain(report["suppressed"]!.AsArray(), s => s!["row"]!.GetValue<string>() == a.Id.ToString() && s["field"]!.GetValue<string>() == "received");

        var receiver = RowOf(report, b.Id);
        Assert.Equal(10, receiver["received"]!.GetValue<int>());
        // Hours to acknowledge: 1 2 3 4 5 6 7 30 40 50 → median (5 + 6) / 2, 90th percentile the 9th of 10.
        Assert.Equal(5.5, Number(receiver["timeToAcknowledge"]!["medianHours"]));
        Assert.Equal(40, Number(receiver["timeToAcknowledge"]!["p90Hours"]));
        // Hours to decide: 50 50 50 60 60 60 60 60 → median 60, 90th percentile the 8th of 8.
        Assert.Equal(60, Number(receiver["timeToDecide"]!["medianHours"]));
        Assert.Equal(60, Number(receiver["timeToDecide"]!["p90Hours"]));
        // Hours to complete: five at 80.
        Assert.Equal(80, Number(receiver["timeToComplete"]!["medianHours"]));
        // Duties held by the receiver: 7 of 10 acknowledged on time, 8 of 10 decided on time; breaches 3 and 2.
        Assert.Equal(0.7, Number(receiver["onTimeShareByDuty"]!["acknowledge"]));
        Assert.Equal(0.8, Number(receiver["onTimeShareByDuty"]!["decide"]));
        Assert.Equal(3, receiver["breachesByDuty"]!["acknowledge"]!.GetValue<int>());
        Assert.Equal(2, receiver["breachesByDuty"]!["decide"]!.GetValue<int>());
        Assert.Null(sender["breachesByDuty"]!["acknowledge"]);
        // Outcomes: service_provided 5, open 3 (one in progress, two undecided), rejected 2. The 3 and the 2 are withheld
        // (and pin nothing down: 10 − 5 = 5 = 3 + 2 = 4 + 1 = 1 + 4 …); the decline rate and reasons go with the 2.
        Assert.Equal(5, receiver["outcomes"]!["service_provided"]!.GetValue<int>());
        Assert.Single(receiver["outcomes"]!.AsObject());
        Assert.Equal(0, Number(receiver["redirectRate"]));
        Assert.Null(receiver["declineRate"]);
        Assert.Empty(receiver["declineReasons"]!.AsObject());
        var withheld = report["suppressed"]!.AsArray().Where(s => s!["row"]!.GetValue<string>() == b.Id.ToString())
            .Select(s => (s!["field"]!.GetValue<string>(), s["cells"]?.GetValue<int>())).ToList();
        Assert.Contains(("outcomes", 2), withheld);
        Assert.Contains(("declineReasons", 2), withheld);
        Assert.Contains(("declineRate", (int?)null), withheld);
        // A withheld cell gives away neither its count nor its code.
        Assert.DoesNotContain("\"rejected\"", report.ToJsonString());
        Assert.DoesNotContain("no_capacity", report.ToJsonString());

        var byProtocol = (await auditor.GetFromJsonAsync<JsonObject>($"/api/v1/reports/indicators?period={period}&groupBy=protocol"))!;
        var standard = byProtocol["rows"]!.AsArray().Single(r => r!["key"]!.GetValue<string>() == "standard")!;
        Assert.Equal(10, standard["sent"]!.GetValue<int>());
        Assert.Equal(10, standard["received"]!.GetValue<int>());
        Assert.Equal(5.5, Number(standard["timeToAcknowledge"]!["medianHours"]));
        var byService = (await auditor.GetFromJsonAsync<JsonObject>($"/api/v1/reports/indicators?period={Quarter()}&groupBy=service"))!;
        var legalAid = byService["rows"]!.AsArray().Single(r => r!["key"]!.GetValue<string>() == "legal_aid")!;
        Assert.Equal(10, legalAid["sent"]!.GetValue<int>());
        Assert.Equal(40, Number(legalAid["timeToAcknowledge"]!["p90Hours"]));
    }

    private string Quarter() => StatisticsTests.Quarter(fixture);

    [Fact]
    public async Task An_organisation_sees_only_its_own_row_a_caseworker_none_and_the_network_admin_every_row()
    {
        var (period, a, b) = await ScenarioAsync();
        var url = $"/api/v1/reports/indicators?period={period}&groupBy=organisation";
        var own = (await fixture.Client(await _network.OrganisationAdminAsync(b.Id)).GetFromJsonAsync<JsonObject>(url))!;
        Assert.Equal("organisation", own["scope"]!.GetValue<string>());
        Assert.Equal([b.Id.ToString()], own["rows"]!.AsArray().Select(r => r!["key"]!.GetValue<string>()));
        Assert.Equal(10, own["rows"]![0]!["received"]!.GetValue<int>());
        var supervisor = fixture.Client(await _network.KeyAsync(a.Id, "supervisor"));
        var sender = (await supervisor.GetFromJsonAsync<JsonObject>(url))!;
        Assert.Equal([a.Id.ToString()], sender["rows"]!.AsArray().Select(r => r!["key"]!.GetValue<string>()));
        Assert.Equal(10, sender["rows"]![0]!["sent"]!.GetValue<int>());
        // By protocol an organisation sees its own referrals and the duties it holds.
        var protocol = (await supervisor.GetFromJsonAsync<JsonObject>($"/api/v1/reports/indicators?period={period}&groupBy=protocol"))!;
        Assert.Empty(protocol["rows"]![0]!["breachesByDuty"]!.AsObject());

        await LifecycleApi.ProblemAsync(await a.Caseworker.GetAsync(url), HttpStatusCode.Forbidden);
        var network = (await fixture.Admin().GetFromJsonAsync<JsonObject>(url))!;
        Assert.Equal("network", network["scope"]!.GetValue<string>());
        Assert.Contains(a.Id.ToString(), network["rows"]!.AsArray().Select(r => r!["key"]!.GetValue<string>()));
        Assert.Contains(b.Id.ToString(), network["rows"]!.AsArray().Select(r => r!["key"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_small_count_of_people_is_withheld_with_a_complement_so_no_row_or_column_difference_recovers_it()
    {
        var period = StatisticsTests.StartQuarter(fixture);
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        var c = await _network.OrganisationAsync();
        await StatisticsTests.SubmitManyAsync(_network, a, b, 12);
        await StatisticsTests.SubmitManyAsync(_network, a, c, 3);
        foreach (var query in new[] { $"period={period}", $"period={Quarter()}" })
        {
            var report = (await fixture.Admin().GetFromJsonAsync<JsonObject>($"/api/v1/reports/indicators?{query}&groupBy=organisation"))!;
            // A sent 15 = B's 12 + C's 3: showing B's 12 would give C's 3 away, so both are withheld, and with them all their outcomes.
            Assert.Equal(15, RowOf(report, a.Id)["sent"]!.GetValue<int>());
            foreach (var receiver in new[] { b, c })
            {
                var row = RowOf(report, receiver.Id);
                Assert.Null(row["received"]);
                Assert.Empty(row["outcomes"]!.AsObject());
                Assert.Null(row["redirectRate"]);
                Assert.Contains(report["suppressed"]!.AsArray(), s => s!["row"]!.GetValue<string>() == receiver.Id.ToString()
                    && s["field"]!.GetValue<string>() == "received");
            }
            Assert.DoesNotContain(report["rows"]!.AsArray().SelectMany(r => r!["outcomes"]!.AsObject()), o => o.Value!.GetValue<int>() < 5);
        }
        // The protocol row holds all 15: nothing small in it.
        var byProtocol = (await fixture.Admin().GetFromJsonAsync<JsonObject>($"/api/v1/reports/indicators?period={period}&groupBy=protocol"))!;
        Assert.Equal(15, byProtocol["rows"]!.AsArray().Single(r => r!["key"]!.GetValue<string>() == "standard")!["received"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("groupBy=organisation", "period")]
    [InlineData("period=2026-11", "groupBy")]
    [InlineData("period=2026-11&groupBy=sex", "groupBy")]
    [InlineData("period=2026-13&groupBy=organisation", "period")]
    [InlineData("period=2026-11-01&groupBy=organisation", "period")]
    [InlineData("period=9999-Q1&groupBy=organisation", "period")]
    [InlineData("period=2026-11&groupBy=organisation&format=pdf", "format")]
    [InlineData("period=2026-11&groupBy=organisation&format=", "format")]
    public async Task Bad_parameters_are_400_naming_the_field_and_nothing_is_exported(string query, string field)
    {
        var auditor = fixture.Client(await _network.KeyAsync((await _network.OrganisationAsync()).Id, "auditor"));
        var before = await ExportEventsAsync();
        var problem = await LifecycleApi.ProblemAsync(await auditor.GetAsync($"/api/v1/reports/indicators?{query}"), HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]![field]);
        Assert.Equal(before, await ExportEventsAsync());
    }

    private Task<long> ExportEventsAsync() => fixture.CountAsync("SELECT COUNT(*) FROM audit_events WHERE type = 'report.exported'", new { });

    [Fact]
    public async Task Csv_and_xlsx_exports_carry_the_same_numbers_guard_against_formulas_and_are_audited_in_the_chain()
    {
        var (period, a, b) = await ScenarioAsync(referrerName: "=SUM(1+2) Centar");
        var auditor = fixture.Client(await _network.KeyAsync(a.Id, "auditor"));
        var url = $"/api/v1/reports/indicators?period={period}&groupBy=organisation";

        var csvResponse = await auditor.GetAsync(url + "&format=csv");
        await TestNetwork.Expect(csvResponse, HttpStatusCode.OK);
        Assert.Equal("text/csv", csvResponse.Content.Headers.ContentType?.MediaType);
        var lines = (await csvResponse.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).ToList();
        var header = lines[0];
        Assert.Equal(["organisation", "name", "sent", "received", "medianHoursToAcknowledge", "p90HoursToAcknowledge"], header.Take(6));
        var csvReceiver = lines.Single(l => l[0] == b.Id.ToString());
        Assert.Equal("10", csvReceiver[Array.IndexOf(header, "received")]);
        Assert.Equal("5.5", csvReceiver[Array.IndexOf(header, "medianHoursToAcknowledge")]);
        Assert.Equal("40", csvReceiver[Array.IndexOf(header, "p90HoursToAcknowledge")]);
        Assert.Equal("0.7", csvReceiver[Array.IndexOf(header, "onTimeShare:acknowledge")]);
        Assert.Equal("3", csvReceiver[Array.IndexOf(header, "breaches:acknowledge")]);
        Assert.Equal("", csvReceiver[Array.IndexOf(header, "outcome:rejected")]);
        // The organisation's name would run as a formula in a spreadsheet: it is prefixed with a quote.
        var csvSender = (await auditor.GetStringAsync(url + "&format=csv")).Split("\r\n").Single(l => l.StartsWith(a.Id.ToString(), StringComparison.Ordinal));
        Assert.Contains(",'=SUM(1+2) Centar,10,", csvSender);

        var xlsxResponse = await auditor.GetAsync(url + "&format=xlsx");
        await TestNetwork.Expect(xlsxResponse, HttpStatusCode.OK);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsxResponse.Content.Headers.ContentType?.MediaType);
        using var xlsx = SpreadsheetDocument.Open(new MemoryStream(await xlsxResponse.Content.ReadAsByteArrayAsync()), false);
        var rows = xlsx.WorkbookPart!.WorksheetParts.Single().Worksheet.Descendants<Row>()
            .Select(r => r.Elements<Cell>().Select(c => c.InlineString?.InnerText ?? c.CellValue?.Text ?? "").ToArray()).ToList();
        Assert.Equal(header, rows[0]);
        var xlsxReceiver = rows.Single(r => r[0] == b.Id.ToString());
        Assert.Equal(csvReceiver, xlsxReceiver);
        Assert.Equal(CellValues.Number, xlsx.WorkbookPart.WorksheetParts.Single().Worksheet.Descendants<Row>().Skip(1).First().Elements<Cell>().ElementAt(2).DataType!.Value);

        // Statistics export too, and each export is one report.exported event naming who exported what.
        var statistics = await auditor.GetAsync($"/api/v1/statistics/referrals?period={period}&groupBy=sex&format=xlsx");
        await TestNetwork.Expect(statistics, HttpStatusCode.OK);
        var events = await AuditTestKit.AllPagesAsync(auditor, "/api/v1/audit/activity?type=report.exported", 100);
        var auditorId = (await AuditTestKit.GetJsonAsync(auditor, "/api/v1/me"))["principalId"]!.GetValue<Guid>();
        var mine = events.Where(e => e["actor"]!["principalId"]?.GetValue<Guid>() == auditorId).Select(e => e["data"]!).ToList();
        Assert.Equal([("indicators", "csv"), ("indicators", "csv"), ("indicators", "xlsx"), ("statistics", "xlsx")],
            mine.Select(d => (d["report"]!.GetValue<string>(), d["format"]!.GetValue<string>())));
        Assert.All(mine, d => Assert.Equal(period, d["period"]!.GetValue<string>()));
        Assert.Equal("organisation", mine[0]["groupBy"]!.GetValue<string>());
        Assert.Equal("sex", mine[3]["groupBy"]!.GetValue<string>());
        Assert.All(events.Where(e => e["actor"]!["principalId"]?.GetValue<Guid>() == auditorId), e => Assert.Equal($"organisation/{a.Id}", e["streamId"]!.GetValue<string>()));
        var verify = await auditor.GetFromJsonAsync<JsonObject>("/api/v1/audit/verify");
        Assert.True(verify!["ok"]!.GetValue<bool>(), verify.ToJsonString());
    }
}

public sealed class IndicatorsTests_Sqlite(SqliteApiFixture fixture) : IndicatorsTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class IndicatorsTests_Postgres(PostgresApiFixture fixture) : IndicatorsTests(fixture), IClassFixture<PostgresApiFixture>;
