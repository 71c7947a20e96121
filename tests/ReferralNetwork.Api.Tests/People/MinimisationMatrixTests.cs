using System.Net;
using System.Net.Http.Json;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.People;

/// <summary>
/// Minimisation per role (issue 6, item 6): for each role and endpoint, the status and which fields appear. Lists and
/// referrals carry initials and birth year, never names; identities only through GET /persons, for the organisations
/// involved; reasons only for referrer and receiver; auditors and admins never see a person.
/// </summary>
public abstract class MinimisationMatrixTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private sealed record Row(string Who, HttpClient Client, string Path, HttpStatusCode Status, string[] Present, string[] Absent);

    private const string Reason = "Reason-3318: the boy needs a lawyer";
    private static readonly string[] Identity = ["Ahmad", "Karimi", PeopleApi.Phone, "givenName", "familyName", "SRB-AS-0042", "Krnjača"];
    private static readonly string[] Summary = ["\"initials\":\"A.K.\"", "\"birthYear\":2012"];

    [Fact]
    public async Task Each_role_sees_on_each_endpoint_only_the_fields_its_part_allows()
    {
        var guardian = await _network.OrganisationAsync("centre_for_social_work");
        var referrer = await _network.OrganisationAsync("youth_office");
        var receiver = await _network.OrganisationAsync("ngo");
        var outsider = await _network.OrganisationAsync("ngo");
        var child = await referrer.Caseworker.CreatePersonAsync(PeopleApi.Person("Ahmad", "Karimi", birthYear: 2012, sex: "male", nationality: "AF",
            vulnerabilities: ["unaccompanied_child"], guardian: guardian.Id));
        var consent = await referrer.Caseworker.RecordConsentAsync(child.Id(), PeopleApi.Consent("guardian"));
        var referral = await _network.SubmitAsync(referrer, receiver, PeopleApi.Referral(receiver.Id, child.Id(), new { consentId = consent.Id() }, reason: Reason));
        var coordination = (await fixture.Admin().GetFromJsonAsync<JsonObject>("/api/v1/me"))!["organisation"]!.Id();
        var supervisor = fixture.Client(await _network.KeyAsync(referrer.Id, "supervisor"));
        var partner = fixture.Client(await _network.KeyAsync(referrer.Id, "partner_system"));
        var orgAdmin = fixture.Client(await _network.KeyAsync(referrer.Id, "org_admin"));
        var auditor = fixture.Client(await _network.KeyAsync(coordination, "auditor"));
        var admin = fixture.Admin();

        var person = $"/api/v1/persons/{child.Id()}";
        var one = $"/api/v1/referrals/{referral.Id()}";
        string[] none = [];
        var listAbsent = Identity.Append(Reason).Append("\"identity\"").ToArray();
        var rows = new List<Row>
        {
            new("referrer caseworker", referrer.Caseworker, "/api/v1/referrals?box=outbox", HttpStatusCode.OK, [.. Summary, referral.Id().ToString()], listAbsent),
            new("referrer supervisor", supervisor, "/api/v1/referrals?box=outbox", HttpStatusCode.OK, [.. Summary, referral.Id().ToString()], listAbsent),
            new("referrer partner_system", partner, "/api/v1/referrals?box=outbox", HttpStatusCode.OK, [.. Summary, referral.Id().ToString()], listAbsent),
            new("receiver caseworker", receiver.Caseworker, "/api/v1/referrals?box=inbox", HttpStatusCode.OK, [.. Summary, referral.Id().ToString()], listAbsent),
            new("observer caseworker", guardian.Caseworker, "/api/v1/referrals?box=observing", HttpStatusCode.OK, [.. Summary, referral.Id().ToString()], listAbsent),
            new("outsider caseworker", outsider.Caseworker, "/api/v1/referrals?box=inbox", HttpStatusCode.OK, none, [.. listAbsent, referral.Id().ToString(), "A.K."]),
            new("org_admin", orgAdmin, "/api/v1/referrals?box=outbox", HttpStatusCode.Forbidden, none, [.. listAbsent, "A.K."]),
            new("auditor", auditor, "/api/v1/referrals?box=inbox", HttpStatusCode.Forbidden, none, [.. listAbsent, "A.K."]),
            new("network_admin", admin, "/api/v1/referrals?box=inbox", HttpStatusCode.Forbidden, none, [.. listAbsent, "A.K."]),

            new("referrer caseworker", referrer.Caseworker, one, HttpStatusCode.OK, [.. Summary, Reason], [.. Identity, "\"identity\""]),
            new("receiver caseworker", receiver.Caseworker, one, HttpStatusCode.OK, [.. Summary, Reason], [.. Identity, "\"identity\""]),
            new("observer caseworker", guardian.Caseworker, one, HttpStatusCode.OK, Summary, [.. Identity, "\"identity\"", Reason]),
            new("outsider caseworker", outsider.Caseworker, one, HttpStatusCode.NotFound, none, [.. listAbsent, "A.K."]),
            new("auditor", auditor, one, HttpStatusCode.Forbidden, none, [.. listAbsent, "A.K."]),
            new("network_admin", admin, one, HttpStatusCode.Forbidden, none, [.. listAbsent, "A.K."]),

            new("owner caseworker", referrer.Caseworker, person, HttpStatusCode.OK, ["\"givenName\":\"Ahmad\"", "\"familyName\":\"Karimi\"", PeopleApi.Phone, "Krnjača bb"], [Reason]),
            new("owner supervisor", supervisor, person, HttpStatusCode.OK, ["\"givenName\":\"Ahmad\""], [Reason]),
            new("owner partner_system", partner, person, HttpStatusCode.OK, ["\"givenName\":\"Ahmad\""], [Reason]),
            new("receiver caseworker", receiver.Caseworker, person, HttpStatusCode.OK, ["\"givenName\":\"Ahmad\""], [Reason]),
            new("observer caseworker", guardian.Caseworker, person, HttpStatusCode.OK, ["\"givenName\":\"Ahmad\""], [Reason]),
            new("outsider caseworker", outsider.Caseworker, person, HttpStatusCode.NotFound, none, [.. listAbsent, "A.K."]),
            new("owner org_admin", orgAdmin, person, HttpStatusCode.Forbidden, none, [.. listAbsent, "A.K."]),
            new("auditor", auditor, person, HttpStatusCode.Forbidden, none, [.. listAbsent, "A.K."]),
            new("network_admin", admin, person, HttpStatusCode.Forbidden, none, [.. listAbsent, "A.K."]),

            new("owner caseworker", referrer.Caseworker, person + "/consents", HttpStatusCode.OK, [consent.Id().ToString(), "\"givenBy\":\"guardian\""], listAbsent),
            new("observer caseworker", guardian.Caseworker, person + "/consents", HttpStatusCode.OK, [consent.Id().ToString()], listAbsent),
            new("outsider caseworker", outsider.Caseworker, person + "/consents", HttpStatusCode.NotFound, none, listAbsent),
            new("auditor", auditor, person + "/consents", HttpStatusCode.Forbidden, none, listAbsent),
        };
        foreach (var (who, client) in new[] { ("referrer caseworker", referrer.Caseworker), ("org_admin", orgAdmin), ("auditor", auditor), ("network_admin", admin) })
            rows.Add(new(who, client, "/api/v1/statistics/referrals?groupBy=nationality&period=2026-Q4", HttpStatusCode.OK, ["\"total\""], [.. listAbsent, "A.K.", child.Id().ToString()]));

        var failures = new List<string>();
        foreach (var row in rows)
        {
            var response = await row.Client.GetAsync(row.Path);
            var body = Readable(await response.Content.ReadAsStringAsync());
            if (response.StatusCode != row.Status) failures.Add($"{row.Who} GET {row.Path}: {(int)response.StatusCode}, expected {(int)row.Status}");
            failures.AddRange(row.Present.Where(p => !body.Contains(p, StringComparison.Ordinal)).Select(p => $"{row.Who} GET {row.Path}: lacks {p}"));
            failures.AddRange(row.Absent.Where(a => body.Contains(a, StringComparison.Ordinal)).Select(a => $"{row.Who} GET {row.Path}: shows {a}"));
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The body with JSON escapes undone (\u002B, \u010D …), so a search for a name or phone cannot miss it.</summary>
    private static string Readable(string body)
    {
        try
        {
            return JsonNode.Parse(body)?.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) ?? body;
        }
        catch (JsonException)
        {
            return body;
        }
    }
}

public sealed class MinimisationMatrixTests_Sqlite(SqliteApiFixture fixture) : MinimisationMatrixTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class MinimisationMatrixTests_Postgres(PostgresApiFixture fixture) : MinimisationMatrixTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class MinimisationMatrixTests_SqlServer(SqlServerApiFixture fixture) : MinimisationMatrixTests(fixture), IClassFixture<SqlServerApiFixture>;
