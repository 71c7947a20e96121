using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;
using static ReferralNetwork.Api.Tests.Lifecycle.LifecycleApi;

namespace ReferralNetwork.Api.Tests.Lifecycle;

public abstract class NotesAndTimelineTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    /// <summary>A child-protection referral: the guardian's centre for social work observes it (DESIGN §3).</summary>
    private async Task<(TestOrganisation Referrer, TestOrganisation Receiver, TestOrganisation Guardian, Guid Id)> ChildReferralAsync()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var guardian = await _network.OrganisationAsync("centre_for_social_work");
        var child = TestNetwork.Person("Omid", "Rahimi", 2011, ["unaccompanied_child"], guardian.Id);
        var referral = await _network.SubmitAsync(referrer, receiver, new
        {
            receiverOrganisationId = receiver.Id, services = new[] { "psychosocial_support" }, urgency = "urgent", reason = "Nightmares since the border",
            person = child, consent = new { givenBy = "guardian", method = "written" },
        });
        Assert.Equal("child-protection", referral["protocolCode"]!.GetValue<string>());
        return (referrer, receiver, guardian, IdOf(referral));
    }

    [Fact]
    public async Task Observer_reads_the_timeline_but_neither_reads_nor_writes_notes_nor_acts()
    {
        var (_, receiver, guardian, id) = await ChildReferralAsync();
        await receiver.Caseworker.MoveAsync(id, "accept");

        var timeline = await guardian.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}/timeline");
        Assert.Equal(["submit", "accept"], timeline!["items"]!.AsArray().Select(e => e!["action"]!.GetValue<string>()));
        var (seen, etag) = await guardian.Caseworker.ReadAsync(id);
        Assert.Equal("observer", seen["relation"]!.GetValue<string>());
        Assert.Empty(Strings(seen["allowedActions"]));

        await ProblemAsync(await guardian.Caseworker.GetAsync($"/api/v1/referrals/{id}/notes"), HttpStatusCode.Forbidden);
        var before = await fixture.RowCountsAsync();
        await ProblemAsync(await guardian.Caseworker.PostAsJsonAsync($"/api/v1/referrals/{id}/notes", new { text = "We know him." }), HttpStatusCode.Forbidden);
        var problem = await ProblemAsync(await guardian.Caseworker.ActAsync(id, "start", etag), HttpStatusCode.Forbidden);
        Assert.Empty(Strings(problem["allowedActions"]));
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Notes_are_sealed_shared_by_referrer_and_receiver_and_audited_by_id_only()
    {
        var (referrer, receiver, _, id) = await ChildReferralAsync();

        var response = await referrer.Caseworker.PostAsJsonAsync($"/api/v1/referrals/{id}/notes", new { text = "He prefers a male counsellor." });
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        var noteId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        fixture.Time.Advance(TimeSpan.FromMinutes(5));
        await TestNetwork.Expect(await receiver.Caseworker.PostAsJsonAsync($"/api/v1/referrals/{id}/notes", new { text = "Noted, booked Thursday." }), HttpStatusCode.Created);
        await ProblemAsync(await receiver.Caseworker.PostAsJsonAsync($"/api/v1/referrals/{id}/notes", new { text = "" }), HttpStatusCode.BadRequest);

        var notes = await receiver.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}/notes");
        var items = notes!["items"]!.AsArray();
        Assert.Equal(["He prefers a male counsellor.", "Noted, booked Thursday."], items.Select(n => n!["text"]!.GetValue<string>()));
        Assert.Equal([referrer.Id, receiver.Id], items.Select(n => n!["organisationId"]!.GetValue<Guid>()));
        Assert.All(items, n => Assert.False(n!["erased"]!.GetValue<bool>()));

        await using var connection = await fixture.OpenAsync();
        var bodies = await connection.QueryAsync<byte[]>("SELECT body_sealed FROM referral_notes WHERE referral_id = @id", new { id });
        Assert.All(bodies, b => Assert.DoesNotContain("counsellor", System.Text.Encoding.UTF8.GetString(b)));
        var data = (await connection.QueryAsync<string>("SELECT data FROM audit_events WHERE stream_id = @s AND type = 'referral.note_added'",
            new { s = $"referral/{id}" })).ToList();
        Assert.Equal(2, data.Count);
        Assert.Equal(noteId, JsonNode.Parse(data[0])!["noteId"]!.GetValue<Guid>());
        Assert.All(data, d => Assert.DoesNotContain("counsellor", d));
        var timeline = await referrer.Caseworker.GetStringAsync($"/api/v1/referrals/{id}/timeline");
        Assert.DoesNotContain("counsellor", timeline);
    }

    [Fact]
    public async Task Erased_person_reads_as_erased_notes_without_text()
    {
        var (referrer, receiver, _, id) = await ChildReferralAsync();
        await receiver.Caseworker.MoveAsync(id, "decline", new { reasonCode = "other", note = "We only work with adults." });
        var personId = (await referrer.Caseworker.ReadAsync(id)).Referral["person"]!["id"]!.GetValue<Guid>();

        // Crypto-shredding as the erasure feature will do it: the wrapped data key is deleted.
        await using (var connection = await fixture.OpenAsync())
            await connection.ExecuteAsync("UPDATE persons SET wrapped_key = NULL, erased_at = @now WHERE id = @personId",
                new { now = fixture.Time.GetUtcNow(), personId });

        var note = Assert.Single((await referrer.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}/notes"))!["items"]!.AsArray())!;
        Assert.True(note["erased"]!.GetValue<bool>());
        Assert.Null(note["text"]);
        var problem = await ProblemAsync(await referrer.Caseworker.PostAsJsonAsync($"/api/v1/referrals/{id}/notes", new { text = "Still here?" }),
            HttpStatusCode.UnprocessableEntity);
        Assert.Equal("person.erased", problem["rule"]!.GetValue<string>());
    }
}

public sealed class NotesAndTimelineTests_Sqlite(SqliteApiFixture fixture) : NotesAndTimelineTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class NotesAndTimelineTests_Postgres(PostgresApiFixture fixture) : NotesAndTimelineTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class NotesAndTimelineTests_SqlServer(SqlServerApiFixture fixture) : NotesAndTimelineTests(fixture), IClassFixture<SqlServerApiFixture>;
