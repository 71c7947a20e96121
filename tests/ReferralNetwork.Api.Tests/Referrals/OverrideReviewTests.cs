using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Referrals;

public abstract class OverrideReviewTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    /// <summary>An NGO refers an unaccompanied child, whose guardian is a centre for social work, to a health centre.</summary>
    private sealed record Case(TestOrganisation Referrer, HttpClient Supervisor, TestOrganisation Receiver, TestOrganisation Guardian);

    private async Task<Case> CaseAsync()
    {
        var guardian = await _network.OrganisationAsync("centre_for_social_work", ["guardianship", "child_protection"]);
        var referrer = await _network.OrganisationAsync("ngo", ["psychosocial_support"]);
        var receiver = await _network.OrganisationAsync("health_centre", ["healthcare"]);
        return new Case(referrer, fixture.Client(await _network.KeyAsync(referrer.Id, "supervisor")), receiver, guardian);
    }

    private static object Child(Guid guardian) =>
        TestNetwork.Person("Omid", "Rahimi", birthYear: 2012, vulnerabilities: ["unaccompanied_child"], guardian: guardian);

    private static object Body(Case c, bool withOverride, object? consent = null) => new
    {
        receiverOrganisationId = c.Receiver.Id, services = new[] { "healthcare" }, urgency = "emergency", reason = "Acute pain, no guardian reachable at night",
        person = Child(c.Guardian.Id), consent,
        emergencyOverride = withOverride ? new { justification = "Child in pain at 2 a.m.; the guardian's duty phone does not answer." } : null,
    };

    private async Task<JsonObject> SubmitWithOverrideAsync(Case c) => await _network.SubmitAsync(c.Referrer, c.Receiver, Body(c, withOverride: true));

    private static Task<HttpResponseMessage> ReviewAsync(HttpClient client, object referralId, bool approved, string? note = null) =>
        client.PostAsJsonAsync($"/api/v1/referrals/{referralId}/override-review", new { approved, note });

    [Fact]
    public async Task A_child_without_guardian_consent_or_override_is_422_consent_required_and_nothing_is_written()
    {
        var c = await CaseAsync();
        var before = await fixture.RowCountsAsync();
        var response = await c.Referrer.Caseworker.PostAsJsonAsync("/api/v1/referrals",
            Body(c, withOverride: false, consent: new { givenBy = "person", method = "verbal_with_interpreter" }));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("consent.required", problem!["rule"]!.GetValue<string>());
        Assert.Contains("guardian", problem["detail"]!.GetValue<string>());
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task An_override_sets_review_by_and_a_supervisor_of_the_referrer_approves_it_once()
    {
        var c = await CaseAsync();
        var referral = await SubmitWithOverrideAsync(c);
        var createdAt = referral["createdAt"]!.GetValue<DateTimeOffset>();
        Assert.Equal(createdAt.AddHours(24), referral["deadlines"]!["reviewBy"]!.GetValue<DateTimeOffset>());

        var response = await ReviewAsync(c.Supervisor, referral["id"]!, approved: true);

        await TestNetwork.Expect(response, HttpStatusCode.OK);
        var review = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("approved", review!["overrideStatus"]!.GetValue<string>());
        Assert.Equal("requested", review["status"]!.GetValue<string>());
        Assert.Null(review["lateBySeconds"]);
        Assert.Equal("\"2\"", response.Headers.ETag!.Tag);
        var reread = await c.Referrer.Caseworker.GetAsync($"/api/v1/referrals/{referral["id"]}");
        Assert.Equal("\"2\"", reread.Headers.ETag!.Tag);

        await using var connection = await fixture.OpenAsync();
        var id = referral["id"]!.GetValue<Guid>();
        Assert.Equal("approved", await connection.ExecuteScalarAsync<string>("SELECT override_status FROM referrals WHERE id = @Id", new { Id = id }));
        var timeline = (await connection.QueryAsync<(string Action, string? Code)>(
            "SELECT action, code FROM referral_timeline WHERE referral_id = @Id ORDER BY seq", new { Id = id })).ToList();
        Assert.Equal(("override_review", "approved"), timeline[^1]);
        var audit = await connection.QuerySingleAsync<(string Role, string Data)>(
            "SELECT role, data FROM audit_events WHERE stream_id = @Stream AND type = 'referral.override_reviewed'", new { Stream = $"referral/{id}" });
        Assert.Equal("supervisor", audit.Role);
        Assert.Contains("\"decision\":\"approved\"", audit.Data);

        var again = await ReviewAsync(c.Supervisor, referral["id"]!, approved: false, note: "Changed my mind");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Only_a_supervisor_of_the_referring_organisation_may_review()
    {
        var c = await CaseAsync();
        var referral = await SubmitWithOverrideAsync(c);
        var stranger = await _network.OrganisationAsync("ngo");
        var strangerSupervisor = fixture.Client(await _network.KeyAsync(stranger.Id, "supervisor"));
        var receiverSupervisor = fixture.Client(await _network.KeyAsync(c.Receiver.Id, "supervisor"));
        var before = await fixture.RowCountsAsync();

        Assert.Equal(HttpStatusCode.Forbidden, (await ReviewAsync(c.Referrer.Caseworker, referral["id"]!, approved: true)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ReviewAsync(strangerSupervisor, referral["id"]!, approved: true)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ReviewAsync(receiverSupervisor, referral["id"]!, approved: true)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ReviewAsync(c.Supervisor, Guid.CreateVersion7(), approved: true)).StatusCode);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task A_rejected_override_withdraws_the_referral_and_closes_its_responsibility_trail()
    {
        var c = await CaseAsync();
        var referral = await SubmitWithOverrideAsync(c);
        var id = referral["id"]!.GetValue<Guid>();
        const string note = "No risk to life; the guardian must be reached first.";

        var response = await ReviewAsync(c.Supervisor, id, approved: false, note);

        await TestNetwork.Expect(response, HttpStatusCode.OK);
        Assert.Equal("cancelled", (await response.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>());
        var reread = await c.Receiver.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}");
        Assert.Equal("cancelled", reread!["status"]!.GetValue<string>());
        Assert.Equal(c.Referrer.Id, reread["responsibleOrganisationId"]!.GetValue<Guid>());

        await using var connection = await fixture.OpenAsync();
        var periods = (await connection.QueryAsync<(Guid Organisation, string? Until, string? ClosedBasis)>(
            "SELECT organisation_id, CAST(until_at AS VARCHAR(40)), closed_basis FROM responsibility_periods WHERE referral_id = @Id ORDER BY seq", new { Id = id })).ToList();
        Assert.Single(periods);
        Assert.Equal(c.Referrer.Id, periods[0].Organisation);
        Assert.NotNull(periods[0].Until);
        Assert.Equal("override_rejected", periods[0].ClosedBasis);
        var timeline = await connection.QuerySingleAsync<(string From, string To, string Code)>(
            "SELECT from_status, to_status, code FROM referral_timeline WHERE referral_id = @Id AND action = 'override_review'", new { Id = id });
        Assert.Equal(("requested", "cancelled", "rejected"), timeline);
        var outbox = await connection.QuerySingleAsync<string>(
            "SELECT organisation_ids FROM outbox_messages WHERE referral_id = @Id AND event_type = 'referral.cancelled'", new { Id = id });
        Assert.Contains(c.Receiver.Id.ToString("D"), outbox);
        Assert.Contains(c.Guardian.Id.ToString("D"), outbox);
        // The note is about a person: sealed, and never in the audit trail.
        var sealedNote = await connection.ExecuteScalarAsync<byte[]>("SELECT override_review_note_sealed FROM referrals WHERE id = @Id", new { Id = id });
        Assert.NotNull(sealedNote);
        Assert.DoesNotContain("guardian must be reached", System.Text.Encoding.UTF8.GetString(sealedNote!));
        var audit = string.Join("\n", await connection.QueryAsync<string>("SELECT data FROM audit_events WHERE stream_id = @Stream", new { Stream = $"referral/{id}" }));
        Assert.DoesNotContain("guardian must be reached", audit);
        Assert.Contains("\"to\":\"cancelled\"", audit);
    }

    [Fact]
    public async Task A_late_review_is_accepted_and_says_how_late_it_is()
    {
        var c = await CaseAsync();
        var referral = await SubmitWithOverrideAsync(c);
        fixture.Time.Advance(TimeSpan.FromHours(25));

        var response = await ReviewAsync(c.Supervisor, referral["id"]!, approved: true);

        await TestNetwork.Expect(response, HttpStatusCode.OK);
        Assert.Equal(3600, (await response.Content.ReadFromJsonAsync<JsonObject>())!["lateBySeconds"]!.GetValue<long>());
        await using var connection = await fixture.OpenAsync();
        Assert.Equal(3600, await connection.ExecuteScalarAsync<long>(
            "SELECT late_by_seconds FROM referral_timeline WHERE referral_id = @Id AND action = 'override_review'", new { Id = referral["id"]!.GetValue<Guid>() }));
    }

    [Fact]
    public async Task Rejecting_needs_a_note_and_a_referral_with_consent_has_no_override_to_review()
    {
        var c = await CaseAsync();
        var referral = await SubmitWithOverrideAsync(c);
        var noNote = await ReviewAsync(c.Supervisor, referral["id"]!, approved: false);
        Assert.Equal(HttpStatusCode.BadRequest, noNote.StatusCode);
        Assert.NotNull((await noNote.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["note"]);

        var consented = await _network.SubmitAsync(c.Referrer, c.Receiver, Body(c, withOverride: false, consent: new { givenBy = "guardian", method = "written" }));
        Assert.Null(consented["deadlines"]!["reviewBy"]);
        Assert.Equal(HttpStatusCode.Conflict, (await ReviewAsync(c.Supervisor, consented["id"]!, approved: true)).StatusCode);
    }
}

public sealed class OverrideReviewTests_Sqlite(SqliteApiFixture fixture) : OverrideReviewTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class OverrideReviewTests_Postgres(PostgresApiFixture fixture) : OverrideReviewTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class OverrideReviewTests_SqlServer(SqlServerApiFixture fixture) : OverrideReviewTests(fixture), IClassFixture<SqlServerApiFixture>;
