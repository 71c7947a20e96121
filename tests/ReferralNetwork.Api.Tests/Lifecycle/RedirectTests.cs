using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;
using static ReferralNetwork.Api.Tests.Lifecycle.LifecycleApi;

namespace ReferralNetwork.Api.Tests.Lifecycle;

public abstract class RedirectTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    [Fact]
    public async Task Redirect_submits_the_onward_referral_and_its_acceptance_closes_the_original_referrers_period()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var target = await _network.OrganisationAsync("health_centre", ["legal_aid", "healthcare"]);
        var original = IdOf(await _network.SubmitAsync(referrer, receiver));
        var submittedAt = fixture.Time.GetUtcNow();
        await receiver.Caseworker.MoveAsync(original, "acknowledge");
        fixture.Time.Advance(TimeSpan.FromHours(3));

        var redirected = await receiver.Caseworker.MoveAsync(original, "redirect",
            new { targetOrganisationId = target.Id, note = "They have a lawyer who speaks Dari." });
        Assert.Equal("redirected", redirected["status"]!.GetValue<string>());
        Assert.Equal(referrer.Id, redirected["responsibleOrganisationId"]!.GetValue<Guid>());
        var onwardId = redirected["onward"]!["id"]!.GetValue<Guid>();
        Assert.Equal(target.Id, redirected["onward"]!["receiverOrganisationId"]!.GetValue<Guid>());

        // The target finds it in its inbox: receiver → target, same person and services, linked to the original.
        var inbox = await target.Caseworker.GetFromJsonAsync<JsonObject>("/api/v1/referrals?box=inbox");
        var onward = Assert.Single(inbox!["items"]!.AsArray())!;
        Assert.Equal(onwardId, IdOf(onward.AsObject()));
        Assert.Equal("requested", onward["status"]!.GetValue<string>());
        Assert.Equal(original, onward["partOf"]!.GetValue<Guid>());
        Assert.Equal(receiver.Id, onward["referrerOrganisationId"]!.GetValue<Guid>());
        Assert.Equal(receiver.Id, onward["responsibleOrganisationId"]!.GetValue<Guid>());
        Assert.Equal(redirected["person"]!["id"]!.GetValue<Guid>(), onward["person"]!["id"]!.GetValue<Guid>());
        Assert.Equal(["legal_aid"], Strings(onward["services"]));
        Assert.Equal(fixture.Time.GetUtcNow().AddHours(24), onward["deadlines"]!["acknowledgeBy"]!.GetValue<DateTimeOffset>());
        Assert.Equal("Needs advice on the asylum procedure", (await target.Caseworker.ReadAsync(onwardId)).Referral["reason"]!.GetValue<string>());

        // The original referrer follows the chain on its own referral and observes the onward one (issue 13 item 5): its
        // status, outcome and timeline — never its reason or notes, and no action on it.
        var (seen, _) = await referrer.Caseworker.ReadAsync(original);
        Assert.Equal("redirected", seen["status"]!.GetValue<string>());
        Assert.Equal(onwardId, seen["onward"]!["id"]!.GetValue<Guid>());
        Assert.Equal("requested", seen["onward"]!["status"]!.GetValue<string>());
        var (followed, _) = await referrer.Caseworker.ReadAsync(onwardId);
        Assert.Equal("observer", followed["relation"]!.GetValue<string>());
        Assert.Null(followed["reason"]);
        Assert.Empty(followed["allowedActions"]!.AsArray());
        await ProblemAsync(await referrer.Caseworker.GetAsync($"/api/v1/referrals/{onwardId}/notes"), HttpStatusCode.Forbidden);
        await TestNetwork.Expect(await referrer.Caseworker.GetAsync($"/api/v1/referrals/{onwardId}/timeline"), HttpStatusCode.OK);
        var observing = await referrer.Caseworker.GetFromJsonAsync<JsonObject>("/api/v1/referrals?box=observing");
        Assert.Contains(onwardId, observing!["items"]!.AsArray().Select(r => IdOf(r!.AsObject())));
        var open = await fixture.PeriodsAsync(original);
        AssertContiguous(open, submittedAt, closed: false);

        fixture.Time.Advance(TimeSpan.FromHours(1));
        await target.Caseworker.MoveAsync(onwardId, "accept");

        var closed = await fixture.PeriodsAsync(original);
        AssertContiguous(closed, submittedAt, closed: true);
        Assert.Equal("onward_accepted", Assert.Single(closed).ClosedBasis);
        Assert.Equal(fixture.Time.GetUtcNow(), closed[0].UntilAt);
        var chain = await fixture.PeriodsAsync(onwardId);
        Assert.Equal([receiver.Id, target.Id], chain.Select(p => p.OrganisationId));
        Assert.Equal("accepted", (await referrer.Caseworker.ReadAsync(original)).Referral["onward"]!["status"]!.GetValue<string>());
        Assert.Equal(1, await fixture.CountAsync("SELECT COUNT(*) FROM audit_events WHERE stream_id = @s AND type = 'referral.onward_accepted'",
            new { s = $"referral/{original}" }));
        Assert.Equal(1, await fixture.CountAsync("SELECT COUNT(*) FROM outbox_messages WHERE referral_id = @onwardId AND event_type = 'referral.submitted'",
            new { onwardId }));
    }

    [Fact]
    public async Task Onward_referral_declined_closes_the_original_referrers_period_as_ended()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var target = await _network.OrganisationAsync();
        var original = IdOf(await _network.SubmitAsync(referrer, receiver));
        var onwardId = (await receiver.Caseworker.MoveAsync(original, "redirect", new { targetOrganisationId = target.Id }))["onward"]!["id"]!.GetValue<Guid>();

        await target.Caseworker.MoveAsync(onwardId, "decline", new { reasonCode = "no_capacity" });

        Assert.Equal("onward_ended", Assert.Single(await fixture.PeriodsAsync(original)).ClosedBasis);
        Assert.Equal(receiver.Id, (await receiver.Caseworker.ReadAsync(onwardId)).Referral["responsibleOrganisationId"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task Redirect_refuses_a_target_that_is_a_party_does_not_offer_the_services_or_is_inactive()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var noLegalAid = await _network.OrganisationAsync(services: ["healthcare"]);
        var inactive = await _network.OrganisationAsync();
        await TestNetwork.Expect(await fixture.Admin().PatchAsJsonAsync($"/api/v1/organisations/{inactive.Id}", new { active = false }), HttpStatusCode.OK);
        var original = IdOf(await _network.SubmitAsync(referrer, receiver));
        var (_, etag) = await receiver.Caseworker.ReadAsync(original);
        var before = await fixture.RowCountsAsync();

        foreach (var (target, rule) in new[]
                 {
                     (referrer.Id, "redirect.target_is_party"), (receiver.Id, "redirect.target_is_party"),
                     (noLegalAid.Id, "redirect.service_not_offered"), (inactive.Id, "redirect.target_inactive"),
                     (Guid.CreateVersion7(), "redirect.target_unknown"),
                 })
        {
            var problem = await ProblemAsync(await receiver.Caseworker.ActAsync(original, "redirect", etag, new { targetOrganisationId = target }),
                HttpStatusCode.UnprocessableEntity);
            Assert.Equal(rule, problem["rule"]!.GetValue<string>());
        }
        Assert.Equal(before, await fixture.RowCountsAsync());
    }
}

public sealed class RedirectTests_Sqlite(SqliteApiFixture fixture) : RedirectTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class RedirectTests_Postgres(PostgresApiFixture fixture) : RedirectTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class RedirectTests_SqlServer(SqlServerApiFixture fixture) : RedirectTests(fixture), IClassFixture<SqlServerApiFixture>;
