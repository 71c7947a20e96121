using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.People;

public abstract class ErasureTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private static Task<HttpResponseMessage> EraseAsync(HttpClient client, Guid personId, string reason = "Request of the data subject (art. 17)") =>
        client.PostAsJsonAsync($"/api/v1/persons/{personId}/erasure", new { reason });

    [Fact]
    public async Task Erasure_destroys_the_key_identity_and_reasons_read_as_erased_and_referrals_statistics_and_audit_stay()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var referrerAdmin = fixture.Client(await _network.KeyAsync(referrer.Id, "org_admin"));
        var referral = await _network.SubmitAsync(referrer, receiver, TestNetwork.Referral(receiver.Id, PeopleApi.Person(externalRef: "EXT-9"), reason: "Needs a lawyer"));
        var personId = referral["person"]!.Id();
        var consent = await referrer.Caseworker.RecordConsentAsync(personId);
        Assert.Equal("Needs a lawyer", (await receiver.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{referral.Id()}"))!["reason"]!.GetValue<string>());

        fixture.Time.Advance(TimeSpan.FromMinutes(5));
        var response = await EraseAsync(referrerAdmin, personId);
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        var erasure = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(personId, erasure["personId"]!.GetValue<Guid>());
        Assert.Equal(fixture.Time.GetUtcNow(), erasure["erasedAt"]!.GetValue<DateTimeOffset>());

        await using var connection = await fixture.OpenAsync();
        var row = await connection.QuerySingleAsync<(byte[]? Wrapped, byte[]? Identity, string? Initials, string? ExternalRef, DateTimeOffset? ErasedAt, int BirthYear, string Sex)>(
            "SELECT wrapped_key, identity_sealed, initials, external_ref, erased_at, birth_year, sex FROM persons WHERE id = @Id", new { Id = personId });
        Assert.Equal((null, null, null, null, fixture.Time.GetUtcNow(), 1994, "female"), row);

        // The identity reads as erased (and that read is still logged); the reason, sealed with the same key, is gone.
        var person = await referrer.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/persons/{personId}");
        Assert.True(person!["erased"]!.GetValue<bool>());
        Assert.Null(person["identity"]);
        Assert.Null(person["initials"]);
        Assert.Equal(1994, person["birthYear"]!.GetValue<int>());
        var read = (await fixture.EventsAsync($"person/{personId}")).Last();
        Assert.Equal("person.identity_read", read.Type);
        Assert.True(JsonNode.Parse(read.Data)!["erased"]!.GetValue<bool>());
        var seen = await receiver.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{referral.Id()}");
        Assert.Null(seen!["reason"]);
        Assert.True(seen["person"]!["erased"]!.GetValue<bool>());
        Assert.Equal("requested", seen["status"]!.GetValue<string>());
        var inbox = await receiver.Caseworker.GetFromJsonAsync<JsonObject>("/api/v1/referrals?box=inbox");
        var listed = inbox!["items"]!.AsArray().Single(i => i!.Id() == referral.Id())!;
        Assert.Null(listed["person"]!["initials"]);

        // The erasure event holds ids only; every chain still verifies; the referral still counts.
        var erased = (await fixture.EventsAsync($"person/{personId}")).Single(e => e.Type == "person.erased");
        Assert.DoesNotContain("art. 17", erased.Data);
        Assert.Equal(referrer.Id, erased.OrganisationId);
        Assert.Equal("org_admin", erased.Role);
        await fixture.AssertAuditChainsValidAsync();
        var month = fixture.Time.GetUtcNow().ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        var statistics = await referrer.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/statistics/referrals?groupBy=sex&period={month}");
        Assert.True(statistics!["total"]!["withheld"]!.GetValue<bool>()); // one referral: counted, and too few to show
        Assert.Null(statistics["total"]!["count"]);
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM referrals WHERE person_id = @Id", new { Id = personId }));

        // An erased person takes no new referral or consent; a withdrawal is still recorded, without its reason.
        Assert.Equal("person.erased", await PeopleApi.RuleAsync(await referrer.Caseworker.PostAsJsonAsync("/api/v1/referrals",
            PeopleApi.Referral(receiver.Id, personId, new { givenBy = "person", method = "written" }))));
        Assert.Equal("person.erased", await PeopleApi.RuleAsync(await referrer.Caseworker.PostAsJsonAsync($"/api/v1/persons/{personId}/consents", PeopleApi.Consent())));
        var withdrawn = await referrer.Caseworker.WithdrawConsentAsync(personId, consent.Id());
        await TestNetwork.Expect(withdrawn, HttpStatusCode.OK);
        Assert.Null((await withdrawn.Content.ReadFromJsonAsync<JsonObject>())!["withdrawalReason"]);

        await PeopleApi.ProblemAsync(await EraseAsync(referrerAdmin, personId), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Only_the_owners_org_admin_or_the_network_admin_may_erase()
    {
        var owner = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var referral = await _network.SubmitAsync(owner, receiver);
        var personId = referral["person"]!.Id();
        var receiverAdmin = fixture.Client(await _network.KeyAsync(receiver.Id, "org_admin"));
        var supervisor = fixture.Client(await _network.KeyAsync(owner.Id, "supervisor"));
        var auditor = fixture.Client(await _network.KeyAsync(owner.Id, "auditor"));
        var before = await fixture.RowCountsAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await EraseAsync(receiverAdmin, personId)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await EraseAsync(owner.Caseworker, personId)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await EraseAsync(supervisor, personId)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await EraseAsync(auditor, personId)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await EraseAsync(fixture.Admin(), Guid.NewGuid())).StatusCode);
        await PeopleApi.ProblemAsync(await EraseAsync(fixture.Admin(), personId, ""), HttpStatusCode.BadRequest);
        Assert.Equal(before, await fixture.RowCountsAsync());

        await TestNetwork.Expect(await EraseAsync(fixture.Admin(), personId), HttpStatusCode.OK);
        var erased = (await fixture.EventsAsync($"person/{personId}")).Single(e => e.Type == "person.erased");
        Assert.Equal("network_admin", erased.Role);
    }
}

public sealed class ErasureTests_Sqlite(SqliteApiFixture fixture) : ErasureTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class ErasureTests_Postgres(PostgresApiFixture fixture) : ErasureTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class ErasureTests_SqlServer(SqlServerApiFixture fixture) : ErasureTests(fixture), IClassFixture<SqlServerApiFixture>;
