using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Audit;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.People;

namespace ReferralNetwork.Api.Tests.Casework;

/// <summary>
/// Issue 17 item 2: a supervisor merges a duplicate person into the record that stays; the duplicate's referrals, consents
/// and access log are read with the survivor's; an admin undoes it exactly within 30 days; erasure takes both; verify
/// holds the merge column to the chain.
/// </summary>
public abstract class PersonMergeTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private sealed record Scene(TestOrganisation Referrer, TestOrganisation Receiver, HttpClient Supervisor, Guid Survivor, Guid Duplicate,
        Guid SurvivorReferral, Guid DuplicateReferral);

    /// <summary>The same boy referred twice under two spellings: two persons with a referral each.</summary>
    private async Task<Scene> TwoRecordsOfOneBoyAsync()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync("centre_for_social_work", ["legal_aid"]);
        var first = await _network.SubmitAsync(referrer, receiver, TestNetwork.Referral(receiver.Id, PeopleApi.Person("Omid", "Rezaei", birthYear: 2010, sex: "male")));
        var second = await _network.SubmitAsync(referrer, receiver, TestNetwork.Referral(receiver.Id, PeopleApi.Person("Omid", "Rezaie", birthYear: 2010, sex: "male")));
        var supervisor = fixture.Client(await _network.KeyAsync(referrer.Id, "supervisor"));
        return new Scene(referrer, receiver, supervisor, first["person"]!.Id(), second["person"]!.Id(), first.Id(), second.Id());
    }

    private static Task<HttpResponseMessage> MergeAsync(HttpClient client, Guid duplicate, Guid survivor) =>
        client.PostAsJsonAsync($"/api/v1/persons/{duplicate}/merge", new { duplicateOf = survivor, reason = "Same boy, two spellings" });

    private static Task<HttpResponseMessage> UndoAsync(HttpClient client, Guid duplicate) =>
        client.PostAsJsonAsync($"/api/v1/persons/{duplicate}/merge/undo", new { reason = "Two brothers, not one boy" });

    private static async Task<JsonObject> OkAsync(HttpResponseMessage response)
    {
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static async Task<List<Guid>> OutboxOfAsync(TestOrganisation organisation, Guid personId) =>
        [.. (await OkAsync(await organisation.Caseworker.GetAsync($"/api/v1/referrals?box=outbox&personId={personId}")))["items"]!.AsArray().Select(i => i!.Id())];

    [Fact]
    public async Task A_merged_duplicates_referrals_consents_reads_and_spellings_are_the_survivors_until_an_admin_undoes_it_exactly()
    {
        var scene = await TwoRecordsOfOneBoyAsync();
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var consent = await scene.Referrer.Caseworker.RecordConsentAsync(scene.Duplicate);
        await TestNetwork.Expect(await scene.Referrer.Caseworker.GetAsync($"/api/v1/persons/{scene.Duplicate}"), HttpStatusCode.OK);
        Assert.Equal([scene.SurvivorReferral], await OutboxOfAsync(scene.Referrer, scene.Survivor));

        var merge = await OkAsync(await MergeAsync(scene.Supervisor, scene.Duplicate, scene.Survivor));
        Assert.Equal(scene.Survivor, merge["mergedInto"]!.GetValue<Guid>());
        Assert.Equal(merge["mergedAt"]!.GetValue<DateTimeOffset>().AddDays(30), merge["undoableUntil"]!.GetValue<DateTimeOffset>());

        // Referrals (list and counts), consents and the access log of the duplicate are read with the survivor's.
        Assert.Equal([scene.DuplicateReferral, scene.SurvivorReferral], await OutboxOfAsync(scene.Referrer, scene.Survivor));
        var counts = await OkAsync(await scene.Referrer.Caseworker.GetAsync($"/api/v1/referrals/counts?box=outbox&personId={scene.Survivor}"));
        Assert.Equal(2, counts["outbox"]!.GetValue<long>());
        var consents = await OkAsync(await scene.Referrer.Caseworker.GetAsync($"/api/v1/persons/{scene.Survivor}/consents"));
        Assert.Contains(consents["items"]!.AsArray(), c => c!["id"]!.GetValue<Guid>() == consent.Id());
        var reads = await AuditTestKit.AllPagesAsync(auditor, $"/api/v1/audit/personal-data-access?personId={scene.Survivor}", 1);
        Assert.Contains(reads, r => r["personId"]!.GetValue<Guid>() == scene.Duplicate);
        Assert.Equal(scene.Survivor, (await OkAsync(await scene.Referrer.Caseworker.GetAsync($"/api/v1/persons/{scene.Duplicate}")))["mergedInto"]!.GetValue<Guid>());

        // The duplicate's spelling finds the survivor, once; matches answer the survivor only.
        var found = await OkAsync(await scene.Referrer.Caseworker.GetAsync("/api/v1/persons?q=Rezaie"));
        Assert.Equal([scene.Survivor], found["items"]!.AsArray().Select(i => i!.Id()));
        var matches = await OkAsync(await scene.Referrer.Caseworker.PostAsJsonAsync("/api/v1/persons/matches", new { givenName = "Omid", familyName = "Rezaie", birthYear = 2010 }));
        Assert.Equal([scene.Survivor], matches["items"]!.AsArray().Select(m => m!["personId"]!.GetValue<Guid>()));
        Assert.Equal(2, (await OkAsync(await scene.Referrer.Caseworker.GetAsync("/api/v1/referrals?box=outbox&q=Rezaei")))["items"]!.AsArray().Count);

        // A partner that kept the duplicate's id refers the survivor.
        var third = await _network.SubmitAsync(scene.Referrer, scene.Receiver, PeopleApi.Referral(scene.Receiver.Id, scene.Duplicate, new { givenBy = "person", method = "written" }));
        Assert.Equal(scene.Survivor, third["person"]!.Id());
        Assert.True((await AuditTestKit.VerifyAsync(auditor))["ok"]!.GetValue<bool>());

        var admin = fixture.Client(await _network.OrganisationAdminAsync(scene.Referrer.Id));
        var undone = await OkAsync(await UndoAsync(admin, scene.Duplicate));
        Assert.Null(undone["mergedInto"]);
        Assert.NotNull(undone["undoneAt"]);

        // Exactly as before, with the referral submitted meanwhile staying where it went.
        Assert.Equal([third.Id(), scene.SurvivorReferral], await OutboxOfAsync(scene.Referrer, scene.Survivor));
        Assert.Equal([scene.DuplicateReferral], await OutboxOfAsync(scene.Referrer, scene.Duplicate));
        consents = await OkAsync(await scene.Referrer.Caseworker.GetAsync($"/api/v1/persons/{scene.Survivor}/consents"));
        Assert.DoesNotContain(consents["items"]!.AsArray(), c => c!["id"]!.GetValue<Guid>() == consent.Id());
        Assert.Null((await OkAsync(await scene.Referrer.Caseworker.GetAsync($"/api/v1/persons/{scene.Duplicate}")))["mergedInto"]);
        var types = (await fixture.EventsAsync($"person/{scene.Duplicate}")).Select(e => e.Type).ToList();
        Assert.Equal(["person.merged", "person.merge_undone"], types.Where(t => t.StartsWith("person.merge", StringComparison.Ordinal)));
        Assert.True((await AuditTestKit.VerifyAsync(auditor))["ok"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Only_a_supervisor_merges_their_own_organisations_records_and_only_an_admin_undoes_within_30_days()
    {
        var scene = await TwoRecordsOfOneBoyAsync();
        var stranger = await _network.OrganisationAsync();
        var strangerSupervisor = fixture.Client(await _network.KeyAsync(stranger.Id, "supervisor"));
        var receiverSupervisor = fixture.Client(await _network.KeyAsync(scene.Receiver.Id, "supervisor"));
        var before = await fixture.RowCountsAsync();

        Assert.Equal(HttpStatusCode.Forbidden, (await MergeAsync(scene.Referrer.Caseworker, scene.Duplicate, scene.Survivor)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await MergeAsync(strangerSupervisor, scene.Duplicate, scene.Survivor)).StatusCode);
        // The receiver sees both persons through its inbox, yet the records are not its to merge.
        Assert.Equal(HttpStatusCode.NotFound, (await MergeAsync(receiverSupervisor, scene.Duplicate, scene.Survivor)).StatusCode);
        var self = await PeopleApi.ProblemAsync(await MergeAsync(scene.Supervisor, scene.Duplicate, scene.Duplicate), HttpStatusCode.BadRequest);
        Assert.NotNull(self["errors"]!["duplicateOf"]);
        await PeopleApi.ProblemAsync(await scene.Supervisor.PostAsJsonAsync($"/api/v1/persons/{scene.Duplicate}/merge", new { }), HttpStatusCode.BadRequest);
        Assert.Equal(before, await fixture.RowCountsAsync());

        await OkAsync(await MergeAsync(scene.Supervisor, scene.Duplicate, scene.Survivor));
        await PeopleApi.ProblemAsync(await MergeAsync(scene.Supervisor, scene.Duplicate, scene.Survivor), HttpStatusCode.Conflict);
        // The survivor cannot now become someone's duplicate, nor can anyone be merged into the duplicate.
        var third = (await scene.Referrer.Caseworker.CreatePersonAsync(PeopleApi.Person("Omid", "Rezayi", birthYear: 2010, sex: "male"))).Id();
        Assert.Equal("merge.duplicate_has_duplicates", await PeopleApi.RuleAsync(await MergeAsync(scene.Supervisor, scene.Survivor, third)));
        Assert.Equal("merge.survivor_merged", await PeopleApi.RuleAsync(await MergeAsync(scene.Supervisor, third, scene.Duplicate)));
        Assert.Equal("person.merged", await PeopleApi.RuleAsync(await scene.Referrer.Caseworker.PostAsJsonAsync(
            $"/api/v1/persons/{scene.Duplicate}/consents", PeopleApi.Consent())));

        Assert.Equal(HttpStatusCode.Forbidden, (await UndoAsync(scene.Supervisor, scene.Duplicate)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await UndoAsync(fixture.Client(await _network.OrganisationAdminAsync(stranger.Id)), scene.Duplicate)).StatusCode);
        var admin = fixture.Client(await _network.OrganisationAdminAsync(scene.Referrer.Id));
        await PeopleApi.ProblemAsync(await UndoAsync(admin, third), HttpStatusCode.Conflict);
        fixture.Time.Advance(TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1));
        Assert.Equal("merge.undo_expired", await PeopleApi.RuleAsync(await UndoAsync(admin, scene.Duplicate)));
        Assert.Equal([scene.DuplicateReferral, scene.SurvivorReferral], await OutboxOfAsync(scene.Referrer, scene.Survivor));
    }

    [Fact]
    public async Task Erasing_either_record_erases_the_survivor_and_every_duplicate_merged_into_it()
    {
        var scene = await TwoRecordsOfOneBoyAsync();
        await OkAsync(await MergeAsync(scene.Supervisor, scene.Duplicate, scene.Survivor));
        var admin = fixture.Client(await _network.OrganisationAdminAsync(scene.Referrer.Id));

        await OkAsync(await admin.PostAsJsonAsync($"/api/v1/persons/{scene.Duplicate}/erasure", new { reason = "Request of the data subject" }));

        foreach (var person in new[] { scene.Survivor, scene.Duplicate })
        {
            var view = await OkAsync(await scene.Referrer.Caseworker.GetAsync($"/api/v1/persons/{person}"));
            Assert.True(view["erased"]!.GetValue<bool>());
            Assert.Null(view["identity"]);
        }
        await using var connection = await fixture.OpenAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM person_search_terms WHERE person_id IN (@A, @B)",
            new { A = scene.Survivor, B = scene.Duplicate }));
        Assert.Empty((await OkAsync(await scene.Referrer.Caseworker.GetAsync("/api/v1/persons?q=Rezaei")))["items"]!.AsArray());
        Assert.Equal("person.erased", await PeopleApi.RuleAsync(await UndoAsync(admin, scene.Duplicate)));
    }

    [Fact]
    public async Task Verify_reports_a_merge_set_or_cleared_in_the_table_behind_the_events()
    {
        var scene = await TwoRecordsOfOneBoyAsync();
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        await OkAsync(await MergeAsync(scene.Supervisor, scene.Duplicate, scene.Survivor));
        Assert.True((await AuditTestKit.VerifyAsync(auditor))["ok"]!.GetValue<bool>());

        await using var connection = await fixture.OpenAsync();
        await connection.ExecuteAsync("UPDATE persons SET merged_into_id = NULL, merged_at = NULL WHERE id = @Id", new { Id = scene.Duplicate });
        try
        {
            var report = await AuditTestKit.VerifyAsync(auditor);
            Assert.False(report["ok"]!.GetValue<bool>());
            var problem = Assert.Single(report["problems"]!.AsArray(), p => p!["streamId"]?.GetValue<string>() == $"person/{scene.Duplicate}")!;
            Assert.Equal("projection_mismatch", problem["reason"]!.GetValue<string>());
            Assert.Contains(scene.Survivor.ToString(), problem["detail"]!.GetValue<string>());
        }
        finally
        {
            await connection.ExecuteAsync("UPDATE persons SET merged_into_id = @Survivor, merged_at = @At WHERE id = @Id",
                new { Id = scene.Duplicate, Survivor = scene.Survivor, At = fixture.Time.GetUtcNow() });
        }
        Assert.True((await AuditTestKit.VerifyAsync(auditor))["ok"]!.GetValue<bool>());

        // A merge nobody made: another person's referrals would be read as the survivor's.
        var other = (await scene.Referrer.Caseworker.CreatePersonAsync()).Id();
        await connection.ExecuteAsync("UPDATE persons SET merged_into_id = @Survivor WHERE id = @Id", new { Id = other, Survivor = scene.Survivor });
        try
        {
            var report = await AuditTestKit.VerifyAsync(auditor);
            Assert.Contains(report["problems"]!.AsArray(), p => p!["streamId"]?.GetValue<string>() == $"person/{other}");
        }
        finally
        {
            await connection.ExecuteAsync("UPDATE persons SET merged_into_id = NULL WHERE id = @Id", new { Id = other });
        }
    }
}

public sealed class PersonMergeTests_Sqlite(SqliteApiFixture fixture) : PersonMergeTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class PersonMergeTests_Postgres(PostgresApiFixture fixture) : PersonMergeTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class PersonMergeTests_SqlServer(SqlServerApiFixture fixture) : PersonMergeTests(fixture), IClassFixture<SqlServerApiFixture>;
