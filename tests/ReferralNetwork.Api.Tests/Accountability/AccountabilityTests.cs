using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Audit;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Lifecycle;
using ReferralNetwork.Infrastructure.Deadlines;
using ReferralNetwork.Infrastructure.Webhooks;

namespace ReferralNetwork.Api.Tests.Accountability;

/// <summary>
/// Issue 13: the accountability answers a new user found wrong, each answered correctly now — on protocols with
/// second-scale deadlines, the test clock moved by seconds and the monitor run as the hosted service runs it.
/// </summary>
public abstract class AccountabilityTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    /// <summary>Acknowledge 10 s, decide 60 s, follow-up 120 s; an emergency override is reviewed within 30 s.</summary>
    private async Task<string> FastProtocolAsync(bool child = false)
    {
        var code = $"fast-{Guid.NewGuid():N}"[..20];
        var deadlines = new { acknowledge = "PT10S", decide = "PT60S", followUp = "PT120S" };
        var response = await fixture.Admin().PostAsJsonAsync("/api/v1/protocols", new
        {
            code, title = child ? "Fast children" : "Fast",
            consent = new { requiredFrom = new[] { child ? "guardian" : "person" }, emergencyOverride = new { allowed = true, reviewWithin = "PT30S" } },
            deadlines = new { emergency = deadlines, urgent = deadlines, routine = deadlines },
            mandatoryObservers = child ? new[] { "guardianOrganisation" } : [],
            escalateTo = new { organisationKind = "network_coordinator" },
            guardianAppointmentWithin = child ? "PT20S" : null,
        });
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        return code;
    }

    private static object Body(Guid receiver, string protocol, object? person = null, object? consent = null, object? emergencyOverride = null) => new
    {
        receiverOrganisationId = receiver, services = new[] { "legal_aid" }, urgency = "urgent", reason = "Needs advice on the asylum procedure",
        protocolCode = protocol, person = person ?? TestNetwork.Person(),
        consent = emergencyOverride is null ? consent ?? new { givenBy = "person", method = "written" } : null, emergencyOverride,
    };

    private async Task<int> MonitorAsync()
    {
        await using var scope = fixture.Factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DeadlineMonitor>().RunOnceAsync(CancellationToken.None);
    }

    private async Task<List<JsonObject>> BreachesAsync(HttpClient auditor, string query) =>
        await AuditTestKit.AllPagesAsync(auditor, $"/api/v1/audit/deadline-breaches?{query}", 100);

    private void Advance(double seconds) => fixture.Time.Advance(TimeSpan.FromSeconds(seconds));

    [Fact]
    public async Task A_late_acknowledgement_is_the_receivers_breach_and_says_how_late_the_action_was()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var (referrer, receiver) = (await _network.OrganisationAsync(), await _network.OrganisationAsync());
        var referral = await _network.SubmitAsync(referrer, receiver, Body(receiver.Id, await FastProtocolAsync()));
        var id = LifecycleApi.IdOf(referral);
        var submittedAt = referral["createdAt"]!.GetValue<DateTimeOffset>();

        Advance(22);
        await MonitorAsync(); // the acknowledge duty, 12 s late when the monitor saw it (other tests of the class share the database)
        Advance(116);
        var acknowledged = await receiver.Caseworker.MoveAsync(id, "acknowledge");

        var breach = Assert.Single(await BreachesAsync(auditor, $"organisationId={receiver.Id}&referralId={id}&deadline=acknowledge"));
        Assert.Equal(receiver.Id, breach["holderOrganisationId"]!.GetValue<Guid>());
        Assert.Equal(referrer.Id, breach["responsibleOrganisationId"]!.GetValue<Guid>());
        Assert.Equal(submittedAt.AddSeconds(10), breach["dueAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(submittedAt.AddSeconds(22), breach["detectedAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(submittedAt.AddSeconds(138), breach["actedAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(128, breach["lateBySeconds"]!.GetValue<long>());
        Assert.Equal("PT2M8S", breach["lateBy"]!.GetValue<string>());
        Assert.False(breach["open"]!.GetValue<bool>());
        Assert.Empty(await BreachesAsync(auditor, $"organisationId={referrer.Id}&referralId={id}")); // the referrer held no duty
        var duty = acknowledged["duties"]!.AsArray().Single(d => d!["deadline"]!.GetValue<string>() == "acknowledge")!;
        Assert.Equal(128, duty["lateBySeconds"]!.GetValue<long>());
        Assert.Equal("met", duty["closedBasis"]!.GetValue<string>());

        // The decide duty (due at 60 s) is still open: breached by the next pass, its lateness grows until it is met.
        await MonitorAsync();
        var open = Assert.Single(await BreachesAsync(auditor, $"referralId={id}&open=true"));
        Assert.Equal("decide", open["deadline"]!.GetValue<string>());
        Assert.Equal(78, open["lateBySeconds"]!.GetValue<long>());
        Advance(10);
        Assert.Equal(88, Assert.Single(await BreachesAsync(auditor, $"referralId={id}&open=true"))["lateBySeconds"]!.GetValue<long>());
        Assert.Single(await BreachesAsync(auditor, $"referralId={id}&open=false"));

        await using var connection = await fixture.OpenAsync();
        Assert.Equal(128, await connection.ExecuteScalarAsync<long>(
            "SELECT late_by_seconds FROM referral_timeline WHERE referral_id = @Id AND action = 'acknowledge'", new { Id = id }));
        foreach (var bad in new[] { "deadline=bogus", "open=maybe", "referralId=x" })
            await LifecycleApi.ProblemAsync(await auditor.GetAsync($"/api/v1/audit/deadline-breaches?{bad}"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_late_action_the_monitor_never_saw_is_still_a_breach_recorded_once()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var (referrer, receiver) = (await _network.OrganisationAsync(), await _network.OrganisationAsync());
        var id = LifecycleApi.IdOf(await _network.SubmitAsync(referrer, receiver, Body(receiver.Id, await FastProtocolAsync())));

        Advance(138);
        await receiver.Caseworker.MoveAsync(id, "accept"); // meets acknowledge (128 s late) and decide (78 s late) at once
        await MonitorAsync();
        await MonitorAsync();

        var breaches = await BreachesAsync(auditor, $"referralId={id}");
        Assert.Equal(["acknowledge", "decide"], breaches.Select(b => b["deadline"]!.GetValue<string>()).Order());
        Assert.All(breaches, b => Assert.Null(b["step"]?.GetValue<string>())); // only a step duty names a step
        Assert.All(breaches, b => Assert.Equal(b["detectedAt"]!.GetValue<DateTimeOffset>(), b["actedAt"]!.GetValue<DateTimeOffset>()));
        Assert.Equal([128L, 78L], breaches.OrderBy(b => b["deadline"]!.GetValue<string>()).Select(b => b["lateBySeconds"]!.GetValue<long>()));
        Assert.All(breaches, b => Assert.Equal(receiver.Id, b["holderOrganisationId"]!.GetValue<Guid>()));
    }

    [Fact]
    public async Task An_override_is_reviewed_by_four_eyes_and_breaches_review_even_after_the_referral_completed()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var (referrer, receiver) = (await _network.OrganisationAsync(), await _network.OrganisationAsync());
        var submitter = fixture.Client(await _network.KeyAsync(referrer.Id, "supervisor"));
        var colleague = fixture.Client(await _network.KeyAsync(referrer.Id, "supervisor"));
        var response = await submitter.PostAsJsonAsync("/api/v1/referrals",
            Body(receiver.Id, await FastProtocolAsync(), emergencyOverride: new { justification = "At risk tonight; nobody can give consent." }));
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        var referral = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = LifecycleApi.IdOf(referral);
        Assert.Equal("emergency_override", referral["consentBasis"]!.GetValue<string>());
        Assert.Equal("pending", referral["emergencyOverride"]!["status"]!.GetValue<string>());

        var pending = await AuditTestKit.GetJsonAsync(submitter, "/api/v1/referrals?box=outbox&pendingReview=true");
        Assert.Contains(id, pending["items"]!.AsArray().Select(r => LifecycleApi.IdOf(r!.AsObject())));
        Assert.DoesNotContain(id, (await AuditTestKit.GetJsonAsync(submitter, "/api/v1/referrals?box=outbox&pendingReview=false"))["items"]!.AsArray()
            .Select(r => LifecycleApi.IdOf(r!.AsObject())));

        // The submitter may not approve its own override, not even 4 ms later.
        var own = await LifecycleApi.ProblemAsync(await submitter.PostAsJsonAsync($"/api/v1/referrals/{id}/override-review", new { approved = true }),
            HttpStatusCode.Forbidden);
        Assert.Contains("Four eyes", own["detail"]!.GetValue<string>());

        await receiver.Caseworker.MoveAsync(id, "accept");
        await receiver.Caseworker.MoveAsync(id, "complete", new { outcome = "service_provided", note = "Placed safely." });
        Advance(45);
        await MonitorAsync();
        var review = Assert.Single(await BreachesAsync(auditor, $"referralId={id}&deadline=review"));
        Assert.Equal(referrer.Id, review["holderOrganisationId"]!.GetValue<Guid>());
        Assert.True(review["open"]!.GetValue<bool>());

        Advance(5);
        await TestNetwork.Expect(await colleague.PostAsJsonAsync($"/api/v1/referrals/{id}/override-review", new { approved = true }), HttpStatusCode.OK);
        review = Assert.Single(await BreachesAsync(auditor, $"referralId={id}&deadline=review"));
        Assert.False(review["open"]!.GetValue<bool>());
        Assert.Equal(20, review["lateBySeconds"]!.GetValue<long>());
        Assert.DoesNotContain(id, (await AuditTestKit.GetJsonAsync(submitter, "/api/v1/referrals?box=outbox&pendingReview=true"))["items"]!.AsArray()
            .Select(r => LifecycleApi.IdOf(r!.AsObject())));
        var (seen, _) = await referrer.Caseworker.ReadAsync(id);
        Assert.Equal("approved", seen["emergencyOverride"]!["status"]!.GetValue<string>());
        Assert.Equal("completed", seen["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_escalation_target_sees_what_it_needs_to_act_and_the_webhook_names_the_deadline_its_holder_and_the_lateness()
    {
        var (referrer, receiver) = (await _network.OrganisationAsync(), await _network.OrganisationAsync());
        var referral = await _network.SubmitAsync(referrer, receiver, Body(receiver.Id, await FastProtocolAsync()));
        var (id, personId) = (LifecycleApi.IdOf(referral), referral["person"]!["id"]!.GetValue<Guid>());
        Guid coordinatorId;
        await using (var connection = await fixture.OpenAsync())
            coordinatorId = await connection.ExecuteScalarAsync<Guid>("SELECT id FROM organisations WHERE kind = 'network_coordinator' ORDER BY created_at, id");
        var coordinator = fixture.Client(await _network.KeyAsync(coordinatorId, "caseworker"));
        Assert.Equal(HttpStatusCode.NotFound, (await coordinator.GetAsync($"/api/v1/referrals/{id}")).StatusCode); // nothing escalated yet

        Advance(22);
        await MonitorAsync();

        var box = await AuditTestKit.GetJsonAsync(coordinator, "/api/v1/referrals?box=escalated");
        var listed = Assert.Single(box["items"]!.AsArray(), r => LifecycleApi.IdOf(r!.AsObject()) == id)!;
        Assert.Equal("escalation", listed["relation"]!.GetValue<string>());
        Assert.Null(listed["person"]!["initials"]);
        Assert.Null(listed["reason"]);
        var (seen, _) = await coordinator.ReadAsync(id);
        Assert.Equal("escalation", seen["relation"]!.GetValue<string>());
        Assert.Empty(seen["allowedActions"]!.AsArray());
        Assert.Null(seen["reason"]);
        Assert.Null(seen["person"]!["initials"]);
        Assert.True(seen["overdue"]!.GetValue<bool>());
        Assert.NotNull(seen["duties"]!.AsArray().Single(d => d!["deadline"]!.GetValue<string>() == "acknowledge")!["breachedAt"]);
        Assert.Equal(HttpStatusCode.NotFound, (await coordinator.GetAsync($"/api/v1/referrals/{id}/notes")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await coordinator.GetAsync($"/api/v1/persons/{personId}")).StatusCode);

        await using var check = await fixture.OpenAsync();
        var (recipients, data) = await check.QuerySingleAsync<(string, string)>(
            "SELECT organisation_ids, data FROM outbox_messages WHERE referral_id = @Id AND event_type = 'referral.deadline_missed'", new { Id = id });
        Assert.Contains(coordinatorId.ToString("D"), recipients);
        var body = JsonNode.Parse(new WebhookMessage(Guid.CreateVersion7(), "referral.deadline_missed", fixture.Time.GetUtcNow(), id, "requested", data).Body())!;
        Assert.Equal("acknowledge", body["data"]!["deadline"]!.GetValue<string>());
        Assert.Equal(receiver.Id, body["data"]!["holderOrganisationId"]!.GetValue<Guid>());
        Assert.Equal(12, body["data"]!["lateBySeconds"]!.GetValue<long>());
        Assert.Equal(id, body["data"]!["referralId"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task A_guardian_is_a_centre_for_social_work_that_observes_at_once_and_confirms_or_disputes_the_consent_claimed_in_its_name()
    {
        var protocol = await FastProtocolAsync(child: true);
        var (referrer, receiver) = (await _network.OrganisationAsync(), await _network.OrganisationAsync());
        var csw = await _network.OrganisationAsync("centre_for_social_work");
        var guardianConsent = new { givenBy = "guardian", method = "written" };

        // An NGO naming itself (or any non-CSW) as the child's guardian is refused, and nothing is written.
        var before = await fixture.RowCountsAsync();
        var self = await referrer.Caseworker.PostAsJsonAsync("/api/v1/referrals", Body(receiver.Id, protocol,
            TestNetwork.Person("Amir", "Nazari", 2012, ["unaccompanied_child"], guardian: referrer.Id), guardianConsent));
        Assert.Equal("person.guardian_not_csw", (await LifecycleApi.ProblemAsync(self, HttpStatusCode.UnprocessableEntity))["rule"]!.GetValue<string>());
        Assert.Equal(before, await fixture.RowCountsAsync());

        var child = TestNetwork.Person("Amir", "Nazari", 2012, ["unaccompanied_child"], guardian: csw.Id);
        var confirmedId = LifecycleApi.IdOf(await _network.SubmitAsync(referrer, receiver, Body(receiver.Id, protocol, child, guardianConsent)));
        var disputedId = LifecycleApi.IdOf(await _network.SubmitAsync(referrer, receiver, Body(receiver.Id, protocol, child, guardianConsent)));
        var observing = await AuditTestKit.GetJsonAsync(csw.Caseworker, "/api/v1/referrals?box=observing");
        Assert.Equal([confirmedId, disputedId], observing["items"]!.AsArray().Select(r => LifecycleApi.IdOf(r!.AsObject())).Order());

        await LifecycleApi.ProblemAsync(await receiver.Caseworker.PostAsJsonAsync($"/api/v1/referrals/{confirmedId}/guardian-confirmation", new { confirmed = true }),
            HttpStatusCode.Forbidden);
        await TestNetwork.Expect(await csw.Caseworker.PostAsJsonAsync($"/api/v1/referrals/{confirmedId}/guardian-confirmation", new { confirmed = true }), HttpStatusCode.OK);
        await LifecycleApi.ProblemAsync(await csw.Caseworker.PostAsJsonAsync($"/api/v1/referrals/{confirmedId}/guardian-confirmation", new { confirmed = true }),
            HttpStatusCode.Conflict);
        await LifecycleApi.ProblemAsync(await csw.Caseworker.PostAsJsonAsync($"/api/v1/referrals/{disputedId}/guardian-confirmation", new { confirmed = false }),
            HttpStatusCode.BadRequest); // a dispute says why
        await TestNetwork.Expect(await csw.Caseworker.PostAsJsonAsync($"/api/v1/referrals/{disputedId}/guardian-confirmation",
            new { confirmed = false, note = "We gave no such consent; the child is in our emergency care." }), HttpStatusCode.OK);

        await using var connection = await fixture.OpenAsync();
        Assert.Equal("guardian_confirmed", await connection.ExecuteScalarAsync<string>(
            "SELECT action FROM referral_timeline WHERE referral_id = @Id ORDER BY seq DESC", new { Id = confirmedId }));
        Assert.Equal("guardian_disputed", await connection.ExecuteScalarAsync<string>(
            "SELECT action FROM referral_timeline WHERE referral_id = @Id ORDER BY seq DESC", new { Id = disputedId }));
        var notified = await connection.QuerySingleAsync<string>(
            "SELECT organisation_ids FROM outbox_messages WHERE referral_id = @Id AND event_type = 'referral.guardian_disputed'", new { Id = disputedId });
        Assert.Contains(referrer.Id.ToString("D"), notified);
        var notes = await AuditTestKit.GetJsonAsync(referrer.Caseworker, $"/api/v1/referrals/{disputedId}/notes");
        Assert.Contains(notes["items"]!.AsArray(), n => n!["text"]!.GetValue<string>().StartsWith("We gave no such consent", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_child_without_a_guardian_brings_in_the_municipalitys_csw_with_a_guardian_appointment_duty()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var protocol = await FastProtocolAsync(child: true);
        var municipality = $"Šid {Guid.NewGuid():N}"[..16];
        var referrer = await _network.OrganisationAsync(municipality: municipality);
        var receiver = await _network.OrganisationAsync();
        var csw = await _network.OrganisationAsync("centre_for_social_work", municipality: municipality);
        var child = TestNetwork.Person("Farid", "Ahmadi", 2011, ["separated_child"]);

        // Refused under a protocol that would leave the child without a centre for social work.
        var standard = await referrer.Caseworker.PostAsJsonAsync("/api/v1/referrals", Body(receiver.Id, "standard", child));
        Assert.Equal("protocol.child_protection_required", (await LifecycleApi.ProblemAsync(standard, HttpStatusCode.UnprocessableEntity))["rule"]!.GetValue<string>());

        var referral = await _network.SubmitAsync(referrer, receiver, Body(receiver.Id, protocol, child,
            emergencyOverride: new { justification = "Found alone at the bus station; no guardian yet." }));
        var id = LifecycleApi.IdOf(referral);
        var submittedAt = referral["createdAt"]!.GetValue<DateTimeOffset>();
        var appointment = referral["duties"]!.AsArray().Single(d => d!["deadline"]!.GetValue<string>() == "guardian_appointment")!;
        Assert.Equal(csw.Id, appointment["holderOrganisationId"]!.GetValue<Guid>());
        Assert.Equal(submittedAt.AddSeconds(20), appointment["dueAt"]!.GetValue<DateTimeOffset>());
        Assert.Contains(id, (await AuditTestKit.GetJsonAsync(csw.Caseworker, "/api/v1/referrals?box=observing"))["items"]!.AsArray()
            .Select(r => LifecycleApi.IdOf(r!.AsObject())));

        Advance(25);
        await MonitorAsync();
        var breach = Assert.Single(await BreachesAsync(auditor, $"referralId={id}&deadline=guardian_appointment"));
        Assert.Equal(csw.Id, breach["holderOrganisationId"]!.GetValue<Guid>());
        Assert.True(breach["open"]!.GetValue<bool>());

        Advance(5);
        await TestNetwork.Expect(await csw.Caseworker.PostAsJsonAsync($"/api/v1/referrals/{id}/guardian-confirmation", new { confirmed = true }), HttpStatusCode.OK);
        breach = Assert.Single(await BreachesAsync(auditor, $"referralId={id}&deadline=guardian_appointment"));
        Assert.False(breach["open"]!.GetValue<bool>());
        Assert.Equal(10, breach["lateBySeconds"]!.GetValue<long>());
        Assert.Single(await BreachesAsync(auditor, $"organisationId={csw.Id}&referralId={id}"));
    }
}

public sealed class AccountabilityTests_Sqlite(SqliteApiFixture fixture) : AccountabilityTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class AccountabilityTests_Postgres(PostgresApiFixture fixture) : AccountabilityTests(fixture), IClassFixture<PostgresApiFixture>;

[Trait("Database", "SqlServer")]
public sealed class AccountabilityTests_SqlServer(SqlServerApiFixture fixture) : AccountabilityTests(fixture), IClassFixture<SqlServerApiFixture>;
