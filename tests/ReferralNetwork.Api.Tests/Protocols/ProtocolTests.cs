using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Protocols;

public abstract class ProtocolTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    /// <summary>A valid document in the shape of DESIGN §3; tests change one part at a time.</summary>
    public static JsonObject Document(string code, string title = "Test protocol", string urgentAcknowledge = "PT12H") => JsonNode.Parse($$"""
        { "code": "{{code}}", "title": "{{title}}",
          "appliesTo": { "maxAge": 17, "vulnerabilitiesAny": ["unaccompanied_child", "separated_child"] },
          "consent": { "requiredFrom": ["guardian"], "emergencyOverride": { "allowed": true, "reviewWithin": "PT24H" } },
          "deadlines": { "emergency": { "acknowledge": "PT1H",  "decide": "PT12H", "followUp": "P7D" },
                         "urgent":    { "acknowledge": "{{urgentAcknowledge}}", "decide": "PT48H", "followUp": "P14D" },
                         "routine":   { "acknowledge": "PT48H", "decide": "P7D",   "followUp": "P30D" } },
          "mandatoryObservers": ["guardianOrganisation"],
          "receivers": { "accommodation": { "onlyReferrer": "guardianOrganisation" },
                         "*": { "kinds": ["centre_for_social_work", "ngo", "health_centre", "children_home", "youth_office"] } },
          "escalateTo": { "organisationKind": "network_coordinator" } }
        """)!.AsObject();

    private static string NewCode() => "test-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Every_role_reads_the_latest_version_of_each_protocol()
    {
        var organisation = await _network.OrganisationAsync();
        foreach (var role in new[] { "caseworker", "auditor", "org_admin", "partner_system", "supervisor" })
        {
            var client = fixture.Client(await _network.KeyAsync(organisation.Id, role));
            var list = await client.GetFromJsonAsync<JsonObject>("/api/v1/protocols");
            var codes = list!["items"]!.AsArray().Select(p => p!["code"]!.GetValue<string>()).ToList();
            Assert.Contains("child-protection", codes);
            Assert.Contains("standard", codes);
        }
        var standard = await organisation.Caseworker.GetFromJsonAsync<JsonObject>("/api/v1/protocols/standard");
        Assert.Equal(1, standard!["version"]!.GetValue<int>());
        Assert.Equal("PT24H", standard["document"]!["deadlines"]!["urgent"]!["acknowledge"]!.GetValue<string>());
        Assert.Single(standard["versions"]!.AsArray());
    }

    [Fact]
    public async Task Unknown_protocol_or_version_is_404()
    {
        var organisation = await _network.OrganisationAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await organisation.Caseworker.GetAsync("/api/v1/protocols/no-such-protocol")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await organisation.Caseworker.GetAsync("/api/v1/protocols/standard/versions/99")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await organisation.Caseworker.GetAsync($"/api/v1/protocols/{new string('x', 80)}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await organisation.Caseworker.GetAsync("/api/v1/protocols/St%C3%A4ndard/versions/1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Client().GetAsync("/api/v1/protocols")).StatusCode);
    }

    [Fact]
    public async Task Publishing_creates_the_next_version_and_leaves_earlier_ones_unchanged()
    {
        var code = NewCode();
        var first = await fixture.Admin().PostAsJsonAsync("/api/v1/protocols", Document(code, "First"));
        await TestNetwork.Expect(first, HttpStatusCode.Created);
        Assert.Equal($"/api/v1/protocols/{code}/versions/1", first.Headers.Location!.OriginalString);
        var second = await fixture.Admin().PostAsJsonAsync("/api/v1/protocols", Document(code, "Second", urgentAcknowledge: "PT6H"));
        await TestNetwork.Expect(second, HttpStatusCode.Created);
        Assert.Equal(2, (await second.Content.ReadFromJsonAsync<JsonObject>())!["version"]!.GetValue<int>());

        var v1 = await fixture.Admin().GetFromJsonAsync<JsonObject>($"/api/v1/protocols/{code}/versions/1");
        Assert.Equal("First", v1!["title"]!.GetValue<string>());
        Assert.Equal("PT12H", v1["document"]!["deadlines"]!["urgent"]!["acknowledge"]!.GetValue<string>());
        var latest = await fixture.Admin().GetFromJsonAsync<JsonObject>($"/api/v1/protocols/{code}");
        Assert.Equal(2, latest!["version"]!.GetValue<int>());
        Assert.Equal("PT6H", latest["document"]!["deadlines"]!["urgent"]!["acknowledge"]!.GetValue<string>());
        Assert.Equal([2, 1], latest["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<int>()));

        await using var connection = await fixture.OpenAsync();
        var events = (await connection.QueryAsync<(string Type, long Seq)>(
            "SELECT type, seq FROM audit_events WHERE stream_id = @Stream ORDER BY seq", new { Stream = $"protocol/{code}" })).ToList();
        Assert.Equal([("protocol.published", 1L), ("protocol.published", 2L)], events);
    }

    [Fact]
    public async Task A_referral_pins_the_version_it_was_submitted_under()
    {
        var code = NewCode();
        var referrer = await _network.OrganisationAsync("ngo");
        var receiver = await _network.OrganisationAsync("health_centre", ["healthcare"]);
        var standardLike = Document(code);
        standardLike.Remove("appliesTo");
        standardLike["consent"] = JsonNode.Parse("""{ "requiredFrom": ["person"] }""");
        standardLike["mandatoryObservers"] = new JsonArray();
        await TestNetwork.Expect(await fixture.Admin().PostAsJsonAsync("/api/v1/protocols", standardLike), HttpStatusCode.Created);
        var body = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(TestNetwork.Referral(receiver.Id, service: "healthcare"), TestNetwork.Json))!.AsObject();
        body["protocolCode"] = code;
        var before = await _network.SubmitAsync(referrer, receiver, body);

        standardLike["deadlines"]!["urgent"]!["acknowledge"] = "PT2H";
        await TestNetwork.Expect(await fixture.Admin().PostAsJsonAsync("/api/v1/protocols", standardLike), HttpStatusCode.Created);
        var after = await _network.SubmitAsync(referrer, receiver, body);

        Assert.Equal(1, before["protocolVersion"]!.GetValue<int>());
        Assert.Equal(2, after["protocolVersion"]!.GetValue<int>());
        var created = after["createdAt"]!.GetValue<DateTimeOffset>();
        Assert.Equal(created.AddHours(2), after["deadlines"]!["acknowledgeBy"]!.GetValue<DateTimeOffset>());
        var reread = await referrer.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{before["id"]}");
        Assert.Equal(1, reread!["protocolVersion"]!.GetValue<int>());
    }

    [Fact]
    public async Task Only_the_network_admin_publishes_and_a_refusal_writes_nothing()
    {
        var organisation = await _network.OrganisationAsync();
        var before = await fixture.RowCountsAsync();
        var response = await organisation.Caseworker.PostAsJsonAsync("/api/v1/protocols", Document(NewCode()));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task An_invalid_document_is_400_naming_every_field_and_writes_nothing()
    {
        var document = Document("Not A Slug!");
        document["deadlines"]!["urgent"]!["acknowledge"] = "P3D"; // longer than decide (PT48H)
        document["deadlines"]!["emergency"]!["followUp"] = "-PT1H";
        document["deadlines"]!.AsObject().Remove("routine");
        document["consent"]!["requiredFrom"] = new JsonArray("guardian", "neighbour");
        document["consent"]!["emergencyOverride"]!["reviewWithin"] = "PT0S";
        document["mandatoryObservers"] = new JsonArray("receiverOrganisation");
        document["receivers"]!["*"]!["kinds"] = new JsonArray("ngo", "embassy");
        document["receivers"]!["teleportation"] = JsonNode.Parse("""{ "kinds": [] }""");
        document["receivers"]!["accommodation"]!["onlyReferrer"] = "anyone";
        document["escalateTo"] = JsonNode.Parse("""{ "organisationKind": "network_coordinator", "organisationId": "0198c1a2-0000-7000-8000-000000000001" }""");
        var before = await fixture.RowCountsAsync();

        var response = await fixture.Admin().PostAsJsonAsync("/api/v1/protocols", document);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().Select(e => e.Key).ToHashSet();
        foreach (var field in new[]
                 {
                     "code", "deadlines.urgent.acknowledge", "deadlines.emergency.followUp", "deadlines.routine", "consent.requiredFrom[1]",
                     "consent.emergencyOverride.reviewWithin", "mandatoryObservers[0]", "receivers.*.kinds[1]", "receivers.accommodation.onlyReferrer",
                     "escalateTo",
                 })
            Assert.Contains(field, errors);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Unknown_service_keys_and_escalation_organisations_are_400()
    {
        var document = Document(NewCode());
        document["receivers"]!["teleportation"] = JsonNode.Parse("""{ "kinds": ["ngo"] }""");
        document["escalateTo"] = JsonNode.Parse($$"""{ "organisationId": "{{Guid.CreateVersion7()}}" }""");
        var response = await fixture.Admin().PostAsJsonAsync("/api/v1/protocols", document);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().Select(e => e.Key).ToList();
        Assert.Contains("receivers.teleportation", errors);
        Assert.Contains("escalateTo.organisationId", errors);

        var coordinator = await _network.OrganisationAsync("network_coordinator", ["legal_aid"]);
        document.Remove("receivers");
        document["escalateTo"] = JsonNode.Parse($$"""{ "organisationId": "{{coordinator.Id}}" }""");
        await TestNetwork.Expect(await fixture.Admin().PostAsJsonAsync("/api/v1/protocols", document), HttpStatusCode.Created);
    }

    [Fact]
    public async Task Concurrent_publishes_of_one_code_get_distinct_consecutive_versions()
    {
        var code = NewCode();
        var responses = await Task.WhenAll(Enumerable.Range(1, 4).Select(i =>
            fixture.Admin().PostAsJsonAsync("/api/v1/protocols", Document(code, $"Edition {i}"))));

        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.Conflict }));
        var versions = new List<int>();
        foreach (var response in responses.Where(r => r.StatusCode == HttpStatusCode.Created))
            versions.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["version"]!.GetValue<int>());
        Assert.NotEmpty(versions);
        Assert.Equal(Enumerable.Range(1, versions.Count), versions.Order());
        var listed = await fixture.Admin().GetFromJsonAsync<JsonObject>($"/api/v1/protocols/{code}");
        Assert.Equal(versions.Count, listed!["versions"]!.AsArray().Count);
    }
}

public sealed class ProtocolTests_Sqlite(SqliteApiFixture fixture) : ProtocolTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class ProtocolTests_Postgres(PostgresApiFixture fixture) : ProtocolTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class ProtocolTests_SqlServer(SqlServerApiFixture fixture) : ProtocolTests(fixture), IClassFixture<SqlServerApiFixture>;
