using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Infrastructure.Audit;
using static ReferralNetwork.Api.Tests.Lifecycle.LifecycleApi;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Api.Tests.Lifecycle;

public abstract class ReferralLifecycleTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private async Task<(TestOrganisation Referrer, TestOrganisation Receiver, Guid Id)> SubmittedAsync()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var referral = await _network.SubmitAsync(referrer, receiver);
        return (referrer, receiver, IdOf(referral));
    }

    [Fact]
    public async Task Happy_path_to_completed_closes_the_loop_for_the_referrer()
    {
        var (referrer, receiver, id) = await SubmittedAsync();
        var submittedAt = fixture.Time.GetUtcNow();

        fixture.Time.Advance(TimeSpan.FromHours(1));
        var received = await receiver.Caseworker.MoveAsync(id, "acknowledge");
        Assert.Equal("received", received["status"]!.GetValue<string>());
        Assert.Equal(["accept", "decline", "redirect"], Strings(received["allowedActions"]));
        Assert.Equal(referrer.Id, received["responsibleOrganisationId"]!.GetValue<Guid>());

        fixture.Time.Advance(TimeSpan.FromHours(1));
        var accepted = await receiver.Caseworker.MoveAsync(id, "accept");
        Assert.Equal("accepted", accepted["status"]!.GetValue<string>());
        Assert.Equal(receiver.Id, accepted["responsibleOrganisationId"]!.GetValue<Guid>());
        // standard protocol, urgent: follow up within P14D of acceptance
        Assert.Equal(fixture.Time.GetUtcNow().AddDays(14), accepted["deadlines"]!["followUpBy"]!.GetValue<DateTimeOffset>());

        fixture.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal("in-progress", (await receiver.Caseworker.MoveAsync(id, "start"))["status"]!.GetValue<string>());
        fixture.Time.Advance(TimeSpan.FromDays(3));
        const string note = "Lawyer assigned; the asylum hearing is on 12 December.";
        var completed = await receiver.Caseworker.MoveAsync(id, "complete", new { outcome = "service_provided", note });
        Assert.Equal("completed", completed["status"]!.GetValue<string>());
        Assert.Empty(Strings(completed["allowedActions"]));

        var (seen, _) = await referrer.Caseworker.ReadAsync(id);
        Assert.Equal("completed", seen["status"]!.GetValue<string>());
        Assert.Equal("service_provided", seen["outcome"]!.GetValue<string>());
        Assert.Equal(receiver.Id, seen["responsibleOrganisationId"]!.GetValue<Guid>());
        var notes = await referrer.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}/notes");
        var item = Assert.Single(notes!["items"]!.AsArray())!;
        Assert.Equal(note, item["text"]!.GetValue<string>());
        Assert.Equal(receiver.Id, item["organisationId"]!.GetValue<Guid>());

        var timeline = await referrer.Caseworker.GetStringAsync($"/api/v1/referrals/{id}/timeline");
        Assert.DoesNotContain("hearing", timeline);
        var actions = JsonNode.Parse(timeline)!["items"]!.AsArray().Select(e => e!["action"]!.GetValue<string>());
        Assert.Equal(["submit", "acknowledge", "accept", "start", "complete"], actions);

        var periods = await fixture.PeriodsAsync(id);
        AssertContiguous(periods, submittedAt, closed: true);
        Assert.Equal([referrer.Id, receiver.Id], periods.Select(p => p.OrganisationId));
        Assert.Equal(["accepted", "completed"], periods.Select(p => p.ClosedBasis));

        await using var connection = await fixture.OpenAsync();
        var sealedNote = await connection.ExecuteScalarAsync<byte[]>("SELECT body_sealed FROM referral_notes WHERE referral_id = @id", new { id });
        Assert.DoesNotContain("hearing", System.Text.Encoding.UTF8.GetString(sealedNote!));
        var events = await connection.QueryAsync<string>("SELECT event_type FROM outbox_messages WHERE referral_id = @id ORDER BY occurred_at, event_type", new { id });
        Assert.Equal(["referral.submitted", "referral.received", "referral.accepted", "referral.started", "referral.completed"], events);
    }

    [Fact]
    public async Task Every_transition_appends_an_audit_event_and_the_chain_recomputes()
    {
        var (_, receiver, id) = await SubmittedAsync();
        await receiver.Caseworker.MoveAsync(id, "accept");
        await receiver.Caseworker.MoveAsync(id, "start");
        await receiver.Caseworker.MoveAsync(id, "complete", new { outcome = "lost_contact", note = "Moved to Subotica without a word." });

        await using var connection = await fixture.OpenAsync();
        var events = (await connection.QueryAsync<AuditEventRow>("""
            SELECT global_seq AS GlobalSeq, stream_id AS StreamId, seq, occurred_at AS OccurredAt, principal_id AS PrincipalId,
                   organisation_id AS OrganisationId, role, type, data, prev_hash AS PrevHash, hash
            FROM audit_events WHERE stream_id = @Stream ORDER BY seq
            """, new { Stream = $"referral/{id}" })).ToList();
        Assert.Equal(["referral.submitted", "referral.accepted", "referral.started", "referral.failed"], events.Select(e => e.Type));
        Assert.Equal([1L, 2L, 3L, 4L], events.Select(e => e.Seq));
        Assert.Equal(AuditChain.Genesis, events[0].PrevHash);
        for (var i = 0; i < events.Count; i++)
        {
            Assert.Equal(events[i].Hash, AuditChain.Recompute(events[i]));
            if (i > 0) Assert.Equal(events[i - 1].Hash, events[i].PrevHash);
        }
        Assert.All(events, e => Assert.DoesNotContain("Subotica", e.Data));
        var failed = JsonNode.Parse(events[^1].Data)!;
        Assert.Equal("lost_contact", failed["code"]!.GetValue<string>());
        Assert.Equal("in-progress", failed["from"]!.GetValue<string>());
        Assert.Equal(receiver.Id, events[^1].OrganisationId);
    }

    [Fact]
    public async Task Decline_leaves_responsibility_with_the_referrer_and_the_trail_has_no_gap_or_overlap()
    {
        var (referrer, receiver, id) = await SubmittedAsync();
        var submittedAt = fixture.Time.GetUtcNow();
        await receiver.Caseworker.MoveAsync(id, "acknowledge");
        fixture.Time.Advance(TimeSpan.FromHours(2));

        var (_, etag) = await receiver.Caseworker.ReadAsync(id);
        var noNote = await ProblemAsync(await receiver.Caseworker.ActAsync(id, "decline", etag, new { reasonCode = "other" }), HttpStatusCode.BadRequest);
        Assert.NotNull(noNote["errors"]!["note"]);
        var badCode = await ProblemAsync(await receiver.Caseworker.ActAsync(id, "decline", etag, new { reasonCode = "too_busy" }), HttpStatusCode.BadRequest);
        Assert.NotNull(badCode["errors"]!["reasonCode"]);

        var declined = await receiver.Caseworker.MoveAsync(id, "decline", new { reasonCode = "no_capacity" });
        Assert.Equal("rejected", declined["status"]!.GetValue<string>());
        Assert.Equal("no_capacity", declined["declineReason"]!.GetValue<string>());
        Assert.Equal(referrer.Id, declined["responsibleOrganisationId"]!.GetValue<Guid>());
        Assert.Empty(Strings(declined["allowedActions"]));

        var periods = await fixture.PeriodsAsync(id);
        AssertContiguous(periods, submittedAt, closed: true);
        var only = Assert.Single(periods);
        Assert.Equal(referrer.Id, only.OrganisationId);
        Assert.Equal("rejected", only.ClosedBasis);
    }

    [Fact]
    public async Task Hold_and_resume_keep_the_receiver_responsible()
    {
        var (referrer, receiver, id) = await SubmittedAsync();
        await receiver.Caseworker.MoveAsync(id, "accept");
        await receiver.Caseworker.MoveAsync(id, "start");

        var (_, etag) = await receiver.Caseworker.ReadAsync(id);
        await ProblemAsync(await receiver.Caseworker.ActAsync(id, "hold", etag, new { reason = "" }), HttpStatusCode.BadRequest);
        var held = await receiver.Caseworker.MoveAsync(id, "hold", new { reason = "In hospital until next week." });
        Assert.Equal("on-hold", held["status"]!.GetValue<string>());
        Assert.Equal(["resume", "complete"], Strings(held["allowedActions"]));
        Assert.Equal(["withdraw"], Strings((await referrer.Caseworker.ReadAsync(id)).Referral["allowedActions"]));

        var resumed = await receiver.Caseworker.MoveAsync(id, "resume", new { }); // a body-less action ignores an empty body
        Assert.Equal("in-progress", resumed["status"]!.GetValue<string>());
        Assert.Equal(receiver.Id, resumed["responsibleOrganisationId"]!.GetValue<Guid>());
        Assert.Equal(2, (await fixture.PeriodsAsync(id)).Count);
        var notes = await receiver.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}/notes");
        Assert.Equal("In hospital until next week.", Assert.Single(notes!["items"]!.AsArray())!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Referrer_withdraws_an_accepted_referral_and_is_responsible_again()
    {
        var (referrer, receiver, id) = await SubmittedAsync();
        var submittedAt = fixture.Time.GetUtcNow();
        await receiver.Caseworker.MoveAsync(id, "accept");
        fixture.Time.Advance(TimeSpan.FromHours(5));

        var (_, etag) = await referrer.Caseworker.ReadAsync(id);
        await ProblemAsync(await referrer.Caseworker.ActAsync(id, "withdraw", etag, new { }), HttpStatusCode.BadRequest);
        var withdrawn = await referrer.Caseworker.MoveAsync(id, "withdraw", new { reason = "The family left for Croatia." });
        Assert.Equal("cancelled", withdrawn["status"]!.GetValue<string>());
        Assert.Equal(referrer.Id, withdrawn["responsibleOrganisationId"]!.GetValue<Guid>());
        Assert.Empty(Strings((await receiver.Caseworker.ReadAsync(id)).Referral["allowedActions"]));

        var periods = await fixture.PeriodsAsync(id);
        AssertContiguous(periods, submittedAt, closed: true);
        Assert.Equal([referrer.Id, receiver.Id, referrer.Id], periods.Select(p => p.OrganisationId));
    }

    [Fact]
    public async Task Invalid_action_returns_409_listing_the_allowed_actions_and_changes_nothing()
    {
        var (_, receiver, id) = await SubmittedAsync();
        var (_, etag) = await receiver.Caseworker.ReadAsync(id);
        var before = await fixture.RowCountsAsync();

        var problem = await ProblemAsync(await receiver.Caseworker.ActAsync(id, "start", etag), HttpStatusCode.Conflict);
        Assert.Equal(["acknowledge", "accept", "decline", "redirect"], Strings(problem["allowedActions"]));
        Assert.Equal("requested", problem["referralStatus"]!.GetValue<string>());
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Referrer_accepting_its_own_referral_gets_403_with_its_allowed_actions()
    {
        var (referrer, _, id) = await SubmittedAsync();
        var (_, etag) = await referrer.Caseworker.ReadAsync(id);
        var before = await fixture.RowCountsAsync();

        var problem = await ProblemAsync(await referrer.Caseworker.ActAsync(id, "accept", etag), HttpStatusCode.Forbidden);
        Assert.Equal(["withdraw"], Strings(problem["allowedActions"]));
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Third_organisation_gets_404_for_actions_timeline_and_notes()
    {
        var (_, _, id) = await SubmittedAsync();
        var stranger = await _network.OrganisationAsync();
        await ProblemAsync(await stranger.Caseworker.ActAsync(id, "accept", "\"1\""), HttpStatusCode.NotFound);
        await ProblemAsync(await stranger.Caseworker.ActAsync(id, "withdraw", "\"1\"", new { reason = "x" }), HttpStatusCode.NotFound);
        await ProblemAsync(await stranger.Caseworker.GetAsync($"/api/v1/referrals/{id}/timeline"), HttpStatusCode.NotFound);
        await ProblemAsync(await stranger.Caseworker.GetAsync($"/api/v1/referrals/{id}/notes"), HttpStatusCode.NotFound);
        await ProblemAsync(await stranger.Caseworker.PostAsJsonAsync($"/api/v1/referrals/{id}/notes", new { text = "hello" }), HttpStatusCode.NotFound);
        await ProblemAsync(await stranger.Caseworker.ActAsync(Guid.CreateVersion7(), "accept", "\"1\""), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Missing_if_match_returns_428_and_changes_nothing()
    {
        var (_, receiver, id) = await SubmittedAsync();
        var before = await fixture.RowCountsAsync();
        await ProblemAsync(await receiver.Caseworker.ActAsync(id, "accept", ifMatch: null), HttpStatusCode.PreconditionRequired);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    /// <summary>A stale tag is 412; anything but exactly one strong tag is 400 (see Security.SecurityReviewTests for lists).</summary>
    [Theory]
    [InlineData("\"1\"", HttpStatusCode.PreconditionFailed)]
    [InlineData("*", HttpStatusCode.BadRequest)]
    [InlineData("W/\"2\"", HttpStatusCode.BadRequest)]
    [InlineData("2", HttpStatusCode.BadRequest)]
    public async Task Stale_or_malformed_if_match_is_refused_and_changes_nothing(string ifMatch, HttpStatusCode status)
    {
        var (_, receiver, id) = await SubmittedAsync();
        await receiver.Caseworker.MoveAsync(id, "acknowledge"); // version 2 now
        var before = await fixture.RowCountsAsync();

        await ProblemAsync(await receiver.Caseworker.ActAsync(id, "accept", ifMatch), status);
        Assert.Equal(before, await fixture.RowCountsAsync());
        var (referral, etag) = await receiver.Caseworker.ReadAsync(id);
        Assert.Equal("received", referral["status"]!.GetValue<string>());
        Assert.Equal("\"2\"", etag);
    }

    [Fact]
    public async Task Two_clients_accepting_at_once_get_one_200_and_one_412_and_one_responsibility_period()
    {
        var (_, receiver, id) = await SubmittedAsync();
        var second = fixture.Client(await _network.KeyAsync(receiver.Id, "caseworker"));
        var (_, etag) = await receiver.Caseworker.ReadAsync(id);

        var responses = await Task.WhenAll(receiver.Caseworker.ActAsync(id, "accept", etag), second.ActAsync(id, "accept", etag));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.PreconditionFailed], responses.Select(r => r.StatusCode).Order());
        var periods = await fixture.PeriodsAsync(id);
        Assert.Single(periods, p => p.OrganisationId == receiver.Id);
        Assert.Equal(2, periods.Count);
        Assert.Equal(1, await fixture.CountAsync("SELECT COUNT(*) FROM referral_timeline WHERE referral_id = @id AND action = 'accept'", new { id }));
        Assert.Equal(1, await fixture.CountAsync("SELECT COUNT(*) FROM audit_events WHERE stream_id = @s AND type = 'referral.accepted'", new { s = $"referral/{id}" }));
        Assert.Equal("\"2\"", (await receiver.Caseworker.ReadAsync(id)).ETag);
    }

    /// <summary>
    /// Under READ COMMITTED the loser's read of the referral could straddle the winner's commit: the row from before it, the
    /// duties from after it. The domain then saw a follow-up duty it was about to open and the API answered 500 (about one
    /// race in 40 on PostgreSQL). The loader now notices the moved stream head and reads again, so the loser gets its 412.
    /// </summary>
    [Fact]
    public async Task Racing_accepts_never_read_a_half_committed_referral()
    {
        var failures = new List<string>();
        for (var round = 0; round < 40; round++)
        {
            var (_, receiver, id) = await SubmittedAsync();
            var second = fixture.Client(await _network.KeyAsync(receiver.Id, "caseworker"));
            var (_, etag) = await receiver.Caseworker.ReadAsync(id);
            foreach (var response in await Task.WhenAll(receiver.Caseworker.ActAsync(id, "accept", etag), second.ActAsync(id, "accept", etag)))
                if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PreconditionFailed))
                    failures.Add($"round {round}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Late_acknowledge_records_how_late_it_was()
    {
        var (referrer, receiver, id) = await SubmittedAsync(); // standard protocol, urgent: acknowledge within PT24H
        fixture.Time.Advance(TimeSpan.FromHours(30));
        await receiver.Caseworker.MoveAsync(id, "acknowledge");

        var timeline = await referrer.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}/timeline");
        var entries = timeline!["items"]!.AsArray();
        Assert.Null(entries[0]!["lateBySeconds"]);
        var acknowledge = entries[1]!;
        Assert.Equal("acknowledge", acknowledge["action"]!.GetValue<string>());
        Assert.Equal(6 * 3600, acknowledge["lateBySeconds"]!.GetValue<long>());
        Assert.Equal(receiver.Id, acknowledge["organisationId"]!.GetValue<Guid>());
        Assert.Equal(1, acknowledge["protocolVersion"]!.GetValue<int>());
    }
}

public sealed class ReferralLifecycleTests_Sqlite(SqliteApiFixture fixture) : ReferralLifecycleTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class ReferralLifecycleTests_Postgres(PostgresApiFixture fixture) : ReferralLifecycleTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class ReferralLifecycleTests_SqlServer(SqlServerApiFixture fixture) : ReferralLifecycleTests(fixture), IClassFixture<SqlServerApiFixture>;
