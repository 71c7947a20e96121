using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Audit;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Infrastructure.Audit;

namespace ReferralNetwork.Api.Tests.Casework;

/// <summary>
/// Issue 17 item 3: every referral gets a reference people can say (RN-2026-004213), unique and sequential per year,
/// part of the chained submitted event, shown on the referral and in lists, and searchable within the caller's boxes.
/// </summary>
public abstract partial class ReferenceTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    [System.Text.RegularExpressions.GeneratedRegex(@"^RN-\d{4}-\d{6}$")]
    private static partial System.Text.RegularExpressions.Regex Shape();

    [Fact]
    public async Task Submit_gives_a_reference_shown_on_the_referral_and_in_the_inbox_and_found_by_q_only_in_the_callers_boxes()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync("centre_for_social_work", ["legal_aid"]);
        var stranger = await _network.OrganisationAsync("centre_for_social_work", ["legal_aid"]);
        var first = await _network.SubmitAsync(referrer, receiver);
        var second = await _network.SubmitAsync(referrer, receiver);

        var reference = first["reference"]!.GetValue<string>();
        Assert.Matches(Shape(), reference);
        Assert.StartsWith($"RN-{fixture.Time.GetUtcNow().Year}-", reference);
        Assert.NotEqual(reference, second["reference"]!.GetValue<string>());
        var read = await AuditTestKit.GetJsonAsync(receiver.Caseworker, $"/api/v1/referrals/{first["id"]}");
        Assert.Equal(reference, read["reference"]!.GetValue<string>());
        var inbox = await AuditTestKit.GetJsonAsync(receiver.Caseworker, "/api/v1/referrals?box=inbox");
        Assert.Contains(inbox["items"]!.AsArray(), i => i!["reference"]?.GetValue<string>() == reference);

        // Said over the phone, typed in lower case: found, and only that one.
        var found = await AuditTestKit.GetJsonAsync(receiver.Caseworker, $"/api/v1/referrals?box=inbox&q={reference.ToLowerInvariant()}");
        Assert.Equal([first["id"]!.GetValue<Guid>()], found["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()));
        var outbox = await AuditTestKit.GetJsonAsync(referrer.Caseworker, $"/api/v1/referrals?box=outbox&q={reference}");
        Assert.Single(outbox["items"]!.AsArray());
        // Not a party: the reference finds nothing in any of its boxes.
        foreach (var box in new[] { "inbox", "outbox", "observing" })
            Assert.Empty((await AuditTestKit.GetJsonAsync(stranger.Caseworker, $"/api/v1/referrals?box={box}&q={reference}"))["items"]!.AsArray());

        await using var connection = await fixture.OpenAsync();
        var data = await connection.ExecuteScalarAsync<string>(
            "SELECT data FROM audit_events WHERE stream_id = @Stream AND type = 'referral.submitted'", new { Stream = $"referral/{first["id"]}" });
        Assert.Equal(reference, JsonNode.Parse(data!)!["reference"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_q_that_is_not_a_reference_or_too_long_is_a_400_naming_q()
    {
        var organisation = await _network.OrganisationAsync();
        var response = await organisation.Caseworker.GetAsync($"/api/v1/referrals?box=inbox&q={new string('x', 101)}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["q"]);
    }

    [Fact]
    public async Task Concurrent_submits_each_get_their_own_reference_numbered_in_sequence()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync("centre_for_social_work", ["legal_aid"]);
        const int count = 16;
        var responses = await Task.WhenAll(Enumerable.Range(0, count).Select(_ =>
            referrer.Caseworker.PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(receiver.Id))));
        foreach (var response in responses) await TestNetwork.Expect(response, HttpStatusCode.Created);
        var references = new List<string>();
        foreach (var response in responses) references.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["reference"]!.GetValue<string>());

        Assert.Equal(count, references.Distinct(StringComparer.Ordinal).Count());
        var numbers = references.Select(r => int.Parse(r[^6..], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        // Nothing failed, so nothing was spent: the numbers are consecutive.
        Assert.Equal(Enumerable.Range(numbers[0], count), numbers);
        await using var connection = await fixture.OpenAsync();
        Assert.Equal(numbers[^1], await connection.ExecuteScalarAsync<long>(
            "SELECT last_number FROM referral_reference_counters WHERE ref_year = @Year", new { Year = fixture.Time.GetUtcNow().Year }));
    }

    [Fact]
    public async Task Verify_reports_a_reference_changed_in_the_table_behind_the_events()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync("centre_for_social_work", ["legal_aid"]);
        var referral = await _network.SubmitAsync(referrer, receiver);
        var id = referral["id"]!.GetValue<Guid>();
        Assert.True((await AuditTestKit.VerifyAsync(auditor))["ok"]!.GetValue<bool>());

        await using var connection = await fixture.OpenAsync();
        await connection.ExecuteAsync("UPDATE referrals SET reference = 'RN-1999-000001' WHERE id = @Id", new { Id = id });
        try
        {
            var report = await AuditTestKit.VerifyAsync(auditor);
            Assert.False(report["ok"]!.GetValue<bool>());
            Assert.Equal("projection_mismatch", report["firstBroken"]!["reason"]!.GetValue<string>());
            Assert.Equal($"referral/{id}", report["firstBroken"]!["streamId"]!.GetValue<string>());
            Assert.Contains("RN-1999-000001", report["firstBroken"]!["detail"]!.GetValue<string>());
        }
        finally
        {
            await connection.ExecuteAsync("UPDATE referrals SET reference = @Reference WHERE id = @Id", new { Id = id, Reference = referral["reference"]!.GetValue<string>() });
        }
        Assert.True((await AuditTestKit.VerifyAsync(auditor))["ok"]!.GetValue<bool>());
    }

    [Fact]
    public void A_submitted_event_from_before_references_holds_the_column_to_null()
    {
        // Events written before issue 17 carry no reference: the row must then have none either (no backfill).
        const string old = """{"referralId":"0193e0e0-0000-7000-8000-000000000001","to":"requested","responsibility":[],"duties":[]}""";
        var replay = new ProjectionReplay();
        replay.Apply(1, "referral.submitted", old);
        Assert.Null(replay.Reference);
        Assert.Empty(ProjectionComparison.Compare("referral/x", replay, new StoredProjections { HasReferralRow = true }));
        Assert.Single(ProjectionComparison.Compare("referral/x", replay, new StoredProjections { HasReferralRow = true, Reference = "RN-2026-000001" }));
    }
}

public sealed class ReferenceTests_Sqlite(SqliteApiFixture fixture) : ReferenceTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class ReferenceTests_Postgres(PostgresApiFixture fixture) : ReferenceTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class ReferenceTests_SqlServer(SqlServerApiFixture fixture) : ReferenceTests(fixture), IClassFixture<SqlServerApiFixture>;
