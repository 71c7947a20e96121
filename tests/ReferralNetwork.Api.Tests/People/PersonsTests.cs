using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.People;

public abstract class PersonsTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    [Fact]
    public async Task Create_returns_201_with_location_and_the_identity_and_audits_ids_only()
    {
        var owner = await _network.OrganisationAsync();
        var response = await owner.Caseworker.PostAsJsonAsync("/api/v1/persons", PeopleApi.Person("Мирјана", "Петровић", externalRef: "CSW-2026-17"));
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        var person = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = person.Id();
        Assert.Equal($"/api/v1/persons/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(owner.Id, person["ownerOrganisationId"]!.GetValue<Guid>());
        Assert.Equal("CSW-2026-17", person["externalRef"]!.GetValue<string>());
        Assert.Equal("М.П.", person["initials"]!.GetValue<string>());
        Assert.Equal(1994, person["birthYear"]!.GetValue<int>());
        Assert.False(person["erased"]!.GetValue<bool>());
        Assert.Equal("Мирјана", person["identity"]!["givenName"]!.GetValue<string>());
        Assert.Equal(PeopleApi.Phone, person["identity"]!["phone"]!.GetValue<string>());

        var events = await fixture.EventsAsync($"person/{id}");
        var created = Assert.Single(events);
        Assert.Equal("person.created", created.Type);
        Assert.DoesNotContain("Мирјана", created.Data);
        Assert.DoesNotContain("CSW-2026-17", created.Data);

        var read = await owner.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/persons/{id}");
        Assert.Equal("Петровић", read!["identity"]!["familyName"]!.GetValue<string>());
        Assert.Equal("1994-03-14", read["identity"]!["dateOfBirth"]!.GetValue<string>());
    }

    [Fact]
    public async Task Duplicate_external_ref_is_409_in_one_organisation_but_free_in_another()
    {
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        await a.Caseworker.CreatePersonAsync(PeopleApi.Person(externalRef: "P-1"));
        var before = await fixture.RowCountsAsync();
        var duplicate = await a.Caseworker.PostAsJsonAsync("/api/v1/persons", PeopleApi.Person("Other", "Name", externalRef: "P-1"));
        await PeopleApi.ProblemAsync(duplicate, HttpStatusCode.Conflict);
        Assert.Equal(before, await fixture.RowCountsAsync());
        await b.Caseworker.CreatePersonAsync(PeopleApi.Person(externalRef: "P-1"));
    }

    [Fact]
    public async Task Bad_fields_are_400_named_as_sent_and_an_unknown_guardian_is_422()
    {
        var a = await _network.OrganisationAsync();
        var response = await a.Caseworker.PostAsJsonAsync("/api/v1/persons", new { familyName = "X", birthYear = 1800, sex = "robot", legalStatus = "asylum_seeker" });
        var errors = (await PeopleApi.ProblemAsync(response, HttpStatusCode.BadRequest))["errors"]!.AsObject();
        foreach (var field in new[] { "givenName", "birthYear", "sex" })
            Assert.True(errors.ContainsKey(field), $"errors should name {field}: {errors.ToJsonString()}");

        var guardian = await a.Caseworker.PostAsJsonAsync("/api/v1/persons", PeopleApi.Person(guardian: Guid.NewGuid()));
        Assert.Equal("person.guardian_unknown", await PeopleApi.RuleAsync(guardian));
    }

    [Fact]
    public async Task Identity_is_shown_to_owner_referrer_receiver_and_observer_and_is_404_to_anyone_else()
    {
        var guardian = await _network.OrganisationAsync("centre_for_social_work");
        var referrer = await _network.OrganisationAsync("youth_office");
        var receiver = await _network.OrganisationAsync("ngo");
        var outsider = await _network.OrganisationAsync("ngo");
        var child = await referrer.Caseworker.CreatePersonAsync(PeopleApi.Person("Ahmad", "Karimi", birthYear: 2012, sex: "male", nationality: "AF",
            vulnerabilities: ["unaccompanied_child"], guardian: guardian.Id, externalRef: "YO-7"));
        var consent = await referrer.Caseworker.RecordConsentAsync(child.Id(), PeopleApi.Consent("guardian"));
        var referral = await _network.SubmitAsync(referrer, receiver, PeopleApi.Referral(receiver.Id, child.Id(), new { consentId = consent.Id() }));
        Assert.Equal("child-protection", referral["protocolCode"]!.GetValue<string>());

        foreach (var reader in new[] { referrer, receiver, guardian })
        {
            var read = await reader.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/persons/{child.Id()}");
            Assert.Equal("Ahmad", read!["identity"]!["givenName"]!.GetValue<string>());
            // The owner's case number is the owner's business.
            Assert.Equal(reader == referrer ? "YO-7" : null, read["externalRef"]?.GetValue<string>());
        }
        var before = (await fixture.EventsAsync($"person/{child.Id()}")).Count;
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.Caseworker.GetAsync($"/api/v1/persons/{child.Id()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.Caseworker.GetAsync($"/api/v1/persons/{Guid.NewGuid()}")).StatusCode);
        // A refused read leaves no trace in the access log, and a read of someone else's referral does not widen access.
        Assert.Equal(before, (await fixture.EventsAsync($"person/{child.Id()}")).Count);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.Caseworker.GetAsync($"/api/v1/persons/{child.Id()}?referralId={referral.Id()}")).StatusCode);
    }

    [Fact]
    public async Task Every_identity_read_appends_an_event_naming_who_which_organisation_and_which_referral()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var referral = await _network.SubmitAsync(referrer, receiver);
        var personId = referral["person"]!.Id();
        var receiverPrincipal = await receiver.Caseworker.PrincipalIdAsync();
        var referrerPrincipal = await referrer.Caseworker.PrincipalIdAsync();

        await TestNetwork.Expect(await receiver.Caseworker.GetAsync($"/api/v1/persons/{personId}?referralId={referral.Id()}"), HttpStatusCode.OK);
        await TestNetwork.Expect(await receiver.Caseworker.GetAsync($"/api/v1/persons/{personId}"), HttpStatusCode.OK);
        await TestNetwork.Expect(await referrer.Caseworker.GetAsync($"/api/v1/persons/{personId}"), HttpStatusCode.OK);

        var reads = (await fixture.EventsAsync($"person/{personId}")).Where(e => e.Type == "person.identity_read").ToList();
        Assert.Equal(3, reads.Count);
        Assert.All(reads.Take(2), e =>
        {
            Assert.Equal(receiverPrincipal, e.PrincipalId);
            Assert.Equal(receiver.Id, e.OrganisationId);
            Assert.Equal("caseworker", e.Role);
            var data = JsonNode.Parse(e.Data)!;
            Assert.Equal(personId, data["personId"]!.GetValue<Guid>());
            Assert.Equal(receiver.Id, data["organisationId"]!.GetValue<Guid>());
            Assert.Equal(referral.Id(), data["viaReferralId"]!.GetValue<Guid>());
            Assert.Equal("referral", data["basis"]!.GetValue<string>());
            Assert.DoesNotContain("Amina", e.Data);
        });
        Assert.Equal(referrerPrincipal, reads[2].PrincipalId);
        Assert.Equal(referrer.Id, reads[2].OrganisationId);
        await fixture.AssertAuditChainsValidAsync();

        // The owner reads a person with no referral: the event says so (no referral).
        var registered = await referrer.Caseworker.CreatePersonAsync();
        await TestNetwork.Expect(await referrer.Caseworker.GetAsync($"/api/v1/persons/{registered.Id()}"), HttpStatusCode.OK);
        var own = (await fixture.EventsAsync($"person/{registered.Id()}")).Single(e => e.Type == "person.identity_read");
        Assert.Null(JsonNode.Parse(own.Data)!["viaReferralId"]);
        Assert.Equal("owner", JsonNode.Parse(own.Data)!["basis"]!.GetValue<string>());
        await using var connection = await fixture.OpenAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM audit_events WHERE stream_id = @Stream AND type = 'person.identity_read'", new { Stream = $"person/{registered.Id()}" }));
    }
}

public sealed class PersonsTests_Sqlite(SqliteApiFixture fixture) : PersonsTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class PersonsTests_Postgres(PostgresApiFixture fixture) : PersonsTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class PersonsTests_SqlServer(SqlServerApiFixture fixture) : PersonsTests(fixture), IClassFixture<SqlServerApiFixture>;
