using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Infrastructure.Deadlines;

namespace ReferralNetwork.Api.Tests.Deadlines;

public abstract class DeadlineMonitorTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private async Task<int> RunMonitorAsync()
    {
        await using var scope = fixture.Factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DeadlineMonitor>().RunOnceAsync(CancellationToken.None);
    }

    private async Task<long> CountAsync(string sql, object parameters)
    {
        await using var connection = await fixture.OpenAsync();
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    [Fact]
    public async Task A_missed_acknowledge_deadline_is_recorded_once_flagged_and_notified()
    {
        var referrer = await _network.OrganisationAsync("ngo");
        var receiver = await _network.OrganisationAsync("ngo");
        var referral = await _network.SubmitAsync(referrer, receiver); // urgent under "standard": acknowledge within 24 h, decide within 72 h
        var id = referral["id"]!.GetValue<Guid>();
        var etag = (await referrer.Caseworker.GetAsync($"/api/v1/referrals/{id}")).Headers.ETag;
        fixture.Time.Advance(TimeSpan.FromHours(25));

        await RunMonitorAsync();
        await RunMonitorAsync();

        await using var connection = await fixture.OpenAsync();
        var breaches = (await connection.QueryAsync<(string Deadline, Guid Responsible)>(
            "SELECT deadline, responsible_organisation_id FROM deadline_breaches WHERE referral_id = @Id", new { Id = id })).ToList();
        Assert.Equal([("acknowledge", referrer.Id)], breaches);

        var inbox = await receiver.Caseworker.GetFromJsonAsync<JsonObject>("/api/v1/referrals?box=inbox&overdue=true");
        Assert.Equal([id], inbox!["items"]!.AsArray().Select(r => r!["id"]!.GetValue<Guid>()));
        var reread = await referrer.Caseworker.GetAsync($"/api/v1/referrals/{id}");
        Assert.True((await reread.Content.ReadFromJsonAsync<JsonObject>())!["overdue"]!.GetValue<bool>());
        // The breach is a change of the referral like any other (its duties and overdue flag moved): a new version, so a
        // client holding the old ETag re-reads before acting instead of overwriting what the monitor recorded.
        Assert.NotEqual(etag, reread.Headers.ETag);
        Assert.DoesNotContain(id, (await receiver.Caseworker.GetFromJsonAsync<JsonObject>("/api/v1/referrals?box=inbox&overdue=false"))!["items"]!.AsArray()
            .Select(r => r!["id"]!.GetValue<Guid>()));

        var timeline = await connection.QuerySingleAsync<(string Code, long LateBy)>(
            "SELECT code, late_by_seconds FROM referral_timeline WHERE referral_id = @Id AND action = 'deadline_missed'", new { Id = id });
        Assert.Equal(("acknowledge", 3600L), timeline);
        var coordinator = await connection.ExecuteScalarAsync<Guid>(
            "SELECT id FROM organisations WHERE kind = 'network_coordinator' ORDER BY created_at, id");
        var notified = await connection.QuerySingleAsync<string>(
            "SELECT organisation_ids FROM outbox_messages WHERE referral_id = @Id AND event_type = 'referral.deadline_missed'", new { Id = id });
        Assert.Equal(new[] { referrer.Id, receiver.Id, coordinator }.Order(), notified.Split(',').Select(Guid.Parse).Order());
        var audit = await connection.QuerySingleAsync<(string Role, Guid? Principal, string Data)>(
            "SELECT role, principal_id, data FROM audit_events WHERE stream_id = @Stream AND type = 'referral.deadline_missed'", new { Stream = $"referral/{id}" });
        Assert.Equal("system", audit.Role);
        Assert.Null(audit.Principal);
        var data = JsonNode.Parse(audit.Data)!;
        Assert.Equal("acknowledge", data["deadline"]!.GetValue<string>());
        Assert.Equal(referrer.Id, data["responsibleOrganisationId"]!.GetValue<Guid>());
        Assert.Equal(3600, data["lateBySeconds"]!.GetValue<long>());
        Assert.Equal(referral["deadlines"]!["acknowledgeBy"]!.GetValue<DateTimeOffset>(), data["dueAt"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task Two_monitors_running_at_once_record_each_breach_exactly_once()
    {
        var referrer = await _network.OrganisationAsync("ngo");
        var receiver = await _network.OrganisationAsync("ngo");
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++) ids.Add((await _network.SubmitAsync(referrer, receiver))["id"]!.GetValue<Guid>());
        fixture.Time.Advance(TimeSpan.FromHours(73)); // both acknowledge (24 h) and decide (72 h) have passed
        const string allBreaches = "SELECT COUNT(*) FROM deadline_breaches";
        var before = await CountAsync(allBreaches, new { });

        await using (var first = fixture.Factory.Services.CreateAsyncScope())
        await using (var second = fixture.Factory.Services.CreateAsyncScope())
        {
            var recorded = await Task.WhenAll(
                first.ServiceProvider.GetRequiredService<DeadlineMonitor>().RunOnceAsync(CancellationToken.None),
                second.ServiceProvider.GetRequiredService<DeadlineMonitor>().RunOnceAsync(CancellationToken.None));
            // Other tests' referrals in this database may fall due too: what the two passes claim is what was written.
            Assert.Equal(await CountAsync(allBreaches, new { }) - before, recorded.Sum());
        }

        foreach (var id in ids)
        {
            Assert.Equal(2, await CountAsync("SELECT COUNT(*) FROM deadline_breaches WHERE referral_id = @Id", new { Id = id }));
            Assert.Equal(2, await CountAsync("SELECT COUNT(*) FROM referral_timeline WHERE referral_id = @Id AND action = 'deadline_missed'", new { Id = id }));
            Assert.Equal(2, await CountAsync("SELECT COUNT(*) FROM outbox_messages WHERE referral_id = @Id AND event_type = 'referral.deadline_missed'", new { Id = id }));
            Assert.Equal(2, await CountAsync("SELECT COUNT(*) FROM audit_events WHERE stream_id = @Stream AND type = 'referral.deadline_missed'",
                new { Stream = $"referral/{id}" }));
        }
        Assert.Equal(0, await RunMonitorAsync());
    }

    [Fact]
    public async Task A_pending_override_review_that_is_missed_is_a_breach_of_the_referrer()
    {
        var guardian = await _network.OrganisationAsync("centre_for_social_work", ["guardianship"]);
        var referrer = await _network.OrganisationAsync("ngo", ["psychosocial_support"]);
        var receiver = await _network.OrganisationAsync("health_centre", ["healthcare"]);
        var referral = await _network.SubmitAsync(referrer, receiver, new
        {
            receiverOrganisationId = receiver.Id, services = new[] { "healthcare" }, urgency = "routine", reason = "Dental pain",
            person = TestNetwork.Person("Omid", "Rahimi", 2012, ["unaccompanied_child"], guardian.Id),
            emergencyOverride = new { justification = "Guardian unreachable" },
        });
        var id = referral["id"]!.GetValue<Guid>();
        fixture.Time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(1)); // review within 24 h; routine acknowledge is 48 h

        Assert.Equal(1, await RunMonitorAsync());

        await using var connection = await fixture.OpenAsync();
        var breach = await connection.QuerySingleAsync<(string Deadline, Guid Responsible, string Protocol)>(
            "SELECT deadline, responsible_organisation_id, protocol_code FROM deadline_breaches WHERE referral_id = @Id", new { Id = id });
        Assert.Equal(("review", referrer.Id, "child-protection"), breach);
    }

    [Fact]
    public async Task A_follow_up_deadline_after_acceptance_is_the_receivers_breach()
    {
        var referrer = await _network.OrganisationAsync("ngo");
        var receiver = await _network.OrganisationAsync("ngo");
        var id = (await _network.SubmitAsync(referrer, receiver))["id"]!.GetValue<Guid>();
        // Accepted in time through the API: the follow-up duty (14 days for urgent under "standard") is the receiver's.
        fixture.Time.Advance(TimeSpan.FromHours(1));
        var current = await receiver.Caseworker.GetAsync($"/api/v1/referrals/{id}");
        var accept = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{id}/accept");
        accept.Headers.TryAddWithoutValidation("If-Match", current.Headers.ETag!.Tag);
        await TestNetwork.Expect(await receiver.Caseworker.SendAsync(accept), HttpStatusCode.OK);
        fixture.Time.Advance(TimeSpan.FromDays(15) + TimeSpan.FromHours(2));

        await RunMonitorAsync();

        await using var check = await fixture.OpenAsync();
        var breaches = (await check.QueryAsync<(string Deadline, Guid Responsible)>(
            "SELECT deadline, responsible_organisation_id FROM deadline_breaches WHERE referral_id = @Id", new { Id = id })).ToList();
        Assert.Equal([("follow_up", receiver.Id)], breaches);
    }

    [Fact]
    public async Task The_pass_deletes_expired_idempotency_keys()
    {
        var referrer = await _network.OrganisationAsync("ngo");
        var receiver = await _network.OrganisationAsync("ngo");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals") { Content = JsonContent.Create(TestNetwork.Referral(receiver.Id)) };
        request.Headers.Add("Idempotency-Key", "cleanup-1");
        await TestNetwork.Expect(await referrer.Caseworker.SendAsync(request), System.Net.HttpStatusCode.Created);
        const string sql = "SELECT COUNT(*) FROM idempotency_keys WHERE organisation_id = @Org";

        await RunMonitorAsync();
        Assert.Equal(1, await CountAsync(sql, new { Org = referrer.Id }));
        fixture.Time.Advance(TimeSpan.FromHours(25));
        await RunMonitorAsync();
        Assert.Equal(0, await CountAsync(sql, new { Org = referrer.Id }));
    }
}

public sealed class DeadlineMonitorTests_Sqlite(SqliteApiFixture fixture) : DeadlineMonitorTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class DeadlineMonitorTests_Postgres(PostgresApiFixture fixture) : DeadlineMonitorTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class DeadlineMonitorTests_SqlServer(SqlServerApiFixture fixture) : DeadlineMonitorTests(fixture), IClassFixture<SqlServerApiFixture>;
