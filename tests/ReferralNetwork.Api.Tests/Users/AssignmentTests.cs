using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Lifecycle;
using ReferralNetwork.Api.Tests.People;

namespace ReferralNetwork.Api.Tests.Users;

/// <summary>Issue 16 item 5: assign, take, unassign — through the one write path, audited, announced, in My cases.</summary>
public abstract class AssignmentTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private async Task<(TestOrganisation Referrer, TestOrganisation Receiver, Guid Id)> ReferralAsync()
    {
        var (referrer, receiver) = (await _network.OrganisationAsync(), await _network.OrganisationAsync());
        return (referrer, receiver, LifecycleApi.IdOf(await _network.SubmitAsync(referrer, receiver)));
    }

    [Fact]
    public async Task A_caseworker_takes_a_case_it_is_in_My_cases_the_view_the_timeline_the_audit_event_and_a_webhook()
    {
        var (referrer, receiver, id) = await ReferralAsync();
        var worker = await fixture.SignedInUserAsync(_network, receiver.Id, "caseworker");
        var (_, etag) = await worker.Client.ReadAsync(id);
        var taken = await worker.Client.ActAsync(id, "take", etag);
        await TestNetwork.Expect(taken, HttpStatusCode.OK);
        var view = (await taken.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(worker.Id, view["assignees"]!["receiver"]!.GetValue<Guid>());
        Assert.Null(view["assignees"]!["referrer"]);
        Assert.NotEqual(etag, taken.Headers.ETag?.Tag);

        var mine = await worker.Client.GetFromJsonAsync<JsonObject>("/api/v1/referrals?box=mine");
        Assert.Equal([id], mine!["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()));
        Assert.True(mine.ContainsKey("nextCursor"));
        var colleague = await fixture.SignedInUserAsync(_network, receiver.Id, "caseworker");
        Assert.Empty((await colleague.Client.GetFromJsonAsync<JsonObject>("/api/v1/referrals?box=mine"))!["items"]!.AsArray());

        // The referrer sees who holds it on the other side, by id.
        var seen = await referrer.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}");
        Assert.Equal(worker.Id, seen!["assignees"]!["receiver"]!.GetValue<Guid>());
        var timeline = (await referrer.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}/timeline"))!["items"]!.AsArray();
        var entry = timeline.Last()!;
        Assert.Equal("assign", entry["action"]!.GetValue<string>());
        Assert.Equal("receiver", entry["code"]!.GetValue<string>());
        Assert.Equal(worker.Id, entry["assigneeUserId"]!.GetValue<Guid>());
        Assert.Equal(worker.Id, entry["userId"]!.GetValue<Guid>());

        Assert.Equal(1, await fixture.CountAsync("SELECT COUNT(*) FROM audit_events WHERE stream_id = @S AND type = 'referral.assigned' AND principal_id = @U AND data LIKE @D",
            new { S = $"referral/{id}", U = worker.Id, D = $"%\"assigneeUserId\":\"{worker.Id}\"%" }));
        Assert.Equal(1, await fixture.CountAsync("SELECT COUNT(*) FROM outbox_messages WHERE referral_id = @Id AND event_type = 'referral.assigned'", new { Id = id }));
    }

    [Fact]
    public async Task A_supervisor_assigns_and_reassigns_on_its_own_side_and_the_verify_replay_still_agrees()
    {
        var (referrer, receiver, id) = await ReferralAsync();
        var supervisor = await fixture.SignedInUserAsync(_network, referrer.Id, "supervisor");
        var first = await fixture.SignedInUserAsync(_network, referrer.Id, "caseworker");
        var second = await fixture.SignedInUserAsync(_network, referrer.Id, "caseworker");
        var (_, etag) = await supervisor.Client.ReadAsync(id);
        var assigned = await supervisor.Client.ActAsync(id, "assign", etag, new { userId = first.Id });
        await TestNetwork.Expect(assigned, HttpStatusCode.OK);
        var reassigned = await supervisor.Client.ActAsync(id, "assign", assigned.Headers.ETag!.Tag, new { userId = second.Id });
        await TestNetwork.Expect(reassigned, HttpStatusCode.OK);
        var view = (await reassigned.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(second.Id, view["assignees"]!["referrer"]!.GetValue<Guid>());
        Assert.Empty((await first.Client.GetFromJsonAsync<JsonObject>("/api/v1/referrals?box=mine"))!["items"]!.AsArray());
        Assert.Single((await second.Client.GetFromJsonAsync<JsonObject>("/api/v1/referrals?box=mine"))!["items"]!.AsArray());
        Assert.Equal(1, await fixture.CountAsync("SELECT COUNT(*) FROM audit_events WHERE stream_id = @S AND type = 'referral.assigned' AND data LIKE @D",
            new { S = $"referral/{id}", D = $"%\"previousAssigneeUserId\":\"{first.Id}\"%" }));

        var auditor = fixture.Client(await _network.KeyAsync(referrer.Id, "auditor"));
        var verify = await auditor.GetFromJsonAsync<JsonObject>("/api/v1/audit/verify");
        Assert.True(verify!["ok"]!.GetValue<bool>(), verify.ToJsonString());
    }

    [Fact]
    public async Task A_breach_names_the_person_assigned_on_the_holders_side_and_the_replay_agrees()
    {
        var (referrer, receiver, id) = await ReferralAsync();
        var worker = await fixture.SignedInUserAsync(_network, receiver.Id, "caseworker");
        var (_, etag) = await worker.Client.ReadAsync(id);
        await TestNetwork.Expect(await worker.Client.ActAsync(id, "take", etag), HttpStatusCode.OK);
        fixture.Time.Advance(TimeSpan.FromHours(25)); // past the standard protocol's urgent acknowledge deadline (24 h)
        await using (var scope = fixture.Factory.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<ReferralNetwork.Infrastructure.Deadlines.DeadlineMonitor>().RunOnceAsync(CancellationToken.None);

        var auditor = fixture.Client(await _network.KeyAsync(referrer.Id, "auditor"));
        var breaches = (await auditor.GetFromJsonAsync<JsonObject>($"/api/v1/audit/deadline-breaches?referralId={id}"))!["items"]!.AsArray();
        var breach = Assert.Single(breaches, b => b!["deadline"]!.GetValue<string>() == "acknowledge")!;
        Assert.Equal(worker.Id, breach["holderAssigneeUserId"]!.GetValue<Guid>());
        Assert.Equal(receiver.Id, breach["holderOrganisationId"]!.GetValue<Guid>());
        Assert.Equal(1, await fixture.CountAsync("SELECT COUNT(*) FROM audit_events WHERE stream_id = @S AND type = 'referral.deadline_missed' AND data LIKE @D",
            new { S = $"referral/{id}", D = $"%\"holderAssigneeUserId\":\"{worker.Id}\"%" }));
        var verify = await auditor.GetFromJsonAsync<JsonObject>("/api/v1/audit/verify");
        Assert.True(verify!["ok"]!.GetValue<bool>(), verify.ToJsonString());

        // A stored assignee that the events do not carry is a projection mismatch.
        await using (var connection = await fixture.OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE deadline_breaches SET holder_assignee_id = NULL WHERE referral_id = @Id", new { Id = id });
        var tampered = await auditor.GetFromJsonAsync<JsonObject>("/api/v1/audit/verify");
        Assert.False(tampered!["ok"]!.GetValue<bool>());
        Assert.Contains("holder_assignee_id", tampered.ToJsonString());
        await using (var connection = await fixture.OpenAsync())
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE deadline_breaches SET holder_assignee_id = @U WHERE referral_id = @Id", new { Id = id, U = worker.Id });
    }

    [Fact]
    public async Task Assignment_rules_refuse_with_a_problem_and_write_nothing()
    {
        var (referrer, receiver, id) = await ReferralAsync();
        var supervisor = await fixture.SignedInUserAsync(_network, receiver.Id, "supervisor");
        var caseworker = await fixture.SignedInUserAsync(_network, receiver.Id, "caseworker");
        var foreigner = await fixture.SignedInUserAsync(_network, referrer.Id, "caseworker");
        var orgAdmin = await fixture.SignedInUserAsync(_network, receiver.Id, "org_admin");
        var (_, etag) = await supervisor.Client.ReadAsync(id);
        var before = await fixture.RowCountsAsync();

        // A person of the other side, an org admin (no caseworker role), an unknown id: 422.
        foreach (var userId in new[] { foreigner.Id, orgAdmin.Id, Guid.NewGuid() })
            Assert.Equal("assignment.not_a_caseworker", await PeopleApi.RuleAsync(await supervisor.Client.ActAsync(id, "assign", etag, new { userId })));
        await PeopleApi.ProblemAsync(await supervisor.Client.ActAsync(id, "assign", etag, new { }), HttpStatusCode.BadRequest);
        // Only supervisors assign others; an API key has no one to take the case; stale and missing If-Match.
        await PeopleApi.ProblemAsync(await caseworker.Client.ActAsync(id, "assign", etag, new { userId = caseworker.Id }), HttpStatusCode.Forbidden);
        await PeopleApi.ProblemAsync(await receiver.Caseworker.ActAsync(id, "take", etag), HttpStatusCode.Forbidden);
        await PeopleApi.ProblemAsync(await caseworker.Client.ActAsync(id, "take", "\"999\""), HttpStatusCode.PreconditionFailed);
        await PeopleApi.ProblemAsync(await caseworker.Client.PostAsync($"/api/v1/referrals/{id}/take", null), HttpStatusCode.PreconditionRequired);
        // Nobody is assigned yet: unassigning is a conflict, not a silent no-op.
        await PeopleApi.ProblemAsync(await supervisor.Client.ActAsync(id, "unassign", etag), HttpStatusCode.Conflict);
        await PeopleApi.ProblemAsync(await receiver.Caseworker.GetAsync("/api/v1/referrals?box=mine"), HttpStatusCode.BadRequest);
        Assert.Equal(before, await fixture.RowCountsAsync());

        var taken = await caseworker.Client.ActAsync(id, "take", etag);
        await TestNetwork.Expect(taken, HttpStatusCode.OK);
        await PeopleApi.ProblemAsync(await caseworker.Client.ActAsync(id, "take", taken.Headers.ETag!.Tag), HttpStatusCode.Conflict);
        // A colleague may not unassign someone else; the assignee may.
        var colleague = await fixture.SignedInUserAsync(_network, receiver.Id, "caseworker");
        await PeopleApi.ProblemAsync(await colleague.Client.ActAsync(id, "unassign", taken.Headers.ETag!.Tag), HttpStatusCode.Forbidden);
        var unassigned = await caseworker.Client.ActAsync(id, "unassign", taken.Headers.ETag!.Tag);
        await TestNetwork.Expect(unassigned, HttpStatusCode.OK);
        Assert.Null((await unassigned.Content.ReadFromJsonAsync<JsonObject>())!["assignees"]!["receiver"]);
        Assert.Equal(1, await fixture.CountAsync("SELECT COUNT(*) FROM audit_events WHERE stream_id = @S AND type = 'referral.unassigned'", new { S = $"referral/{id}" }));
    }
}

public sealed class AssignmentTests_Sqlite(UsersTests_Sqlite.Fixture fixture) : AssignmentTests(fixture), IClassFixture<UsersTests_Sqlite.Fixture>;

[Trait("Database", "Postgres")]
public sealed class AssignmentTests_Postgres(UsersTests_Postgres.Fixture fixture) : AssignmentTests(fixture), IClassFixture<UsersTests_Postgres.Fixture>;
