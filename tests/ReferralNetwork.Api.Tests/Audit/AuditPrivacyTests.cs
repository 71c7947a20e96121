using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Audit;

/// <summary>
/// DESIGN §1: an auditor sees pseudonymous ids, never identities or notes. After a scenario full of names, contact
/// details and free text, every auditor endpoint is called and no response — nor the export — holds any of them,
/// whether written plainly or JSON-escaped.
/// </summary>
public abstract class AuditPrivacyTests(ApiFixture fixture)
{
    private static readonly string[] Secrets =
    [
        "Мирјана", "Петровић", "Zainab", "Al-Hassan", "secret-note-7431", "+381 64 555", "Kneza Miloša", "DOC-7431-MP", "М.П.", "Z.A.", "laptop of",
    ];

    private readonly TestNetwork _network = new(fixture);

    [Fact]
    public async Task Auditors_never_see_identities_or_free_text_in_any_response()
    {
        var csw = await _network.OrganisationAsync("centre_for_social_work");
        var ngo = await _network.OrganisationAsync("ngo");
        await _network.KeyAsync(ngo.Id, "supervisor"); // a key named after nobody; the next one after a person
        await TestNetwork.Expect(await fixture.Client(await _network.OrganisationAdminAsync(ngo.Id)).PostAsJsonAsync($"/api/v1/organisations/{ngo.Id}/api-keys",
            new { name = "laptop of Zainab Al-Hassan", roles = new[] { "caseworker" } }), HttpStatusCode.Created);
        var mirjana = await _network.SubmitAsync(csw, ngo, new
        {
            receiverOrganisationId = ngo.Id, services = new[] { "legal_aid" }, urgency = "urgent",
            reason = "secret-note-7431: afraid of her former employer, needs a lawyer before Friday",
            person = new
            {
                givenName = "Мирјана", familyName = "Петровић", birthYear = 1987, sex = "female", nationality = "UA", languages = new[] { "uk", "sr" },
                legalStatus = "temporary_protection", vulnerabilities = new[] { "single_parent" }, phone = "+381 64 555 0101",
                address = "Kneza Miloša 12, Beograd", documentNumber = "DOC-7431-MP", externalRef = "case-0001",
            },
            consent = new { givenBy = "person", method = "written" },
        });
        var zainab = await _network.SubmitAsync(ngo, csw, TestNetwork.Referral(csw.Id, TestNetwork.Person("Zainab", "Al-Hassan"), service: "guardianship",
            reason: "secret-note-7431 — the family was separated at the border"));
        foreach (var (referral, reader) in new[] { (mirjana, ngo), (mirjana, csw), (zainab, csw), (zainab, ngo) })
            await TestNetwork.Expect(await reader.Caseworker.GetAsync($"/api/v1/persons/{referral["person"]!["id"]}?referralId={referral["id"]}"), HttpStatusCode.OK);
        await using (var connection = await fixture.OpenAsync())
            await connection.ExecuteAsync("""
                INSERT INTO deadline_breaches (referral_id, deadline, due_at, detected_at, responsible_organisation_id, protocol_code, protocol_version)
                VALUES (@Id, 'acknowledge', @Due, @Detected, @Responsible, 'standard', 1)
                """, new { Id = mirjana["id"]!.GetValue<Guid>(), Due = fixture.Time.GetUtcNow(), Detected = fixture.Time.GetUtcNow().AddHours(2), Responsible = csw.Id });
        await AuditTestKit.CheckpointAsync(fixture);

        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var urls = new List<string> { "public-key", "verify", "verify?everyRoot=true", "deadline-breaches?limit=100", "export" };
        foreach (var referral in new[] { mirjana, zainab })
        {
            urls.Add($"referrals/{referral["id"]}/responsibility");
            urls.Add($"referrals/{referral["id"]}/events");
            urls.Add($"personal-data-access?personId={referral["person"]!["id"]}");
        }
        foreach (var organisation in new[] { csw, ngo }) urls.Add($"activity?organisationId={organisation.Id}&limit=100");
        var activity = await AuditTestKit.AllPagesAsync(auditor, "/api/v1/audit/activity", 100);
        Assert.Contains(activity, e => e["type"]!.GetValue<string>() == "person.identity_read");
        AssertClean("activity (all pages)", string.Join("\n", activity.Select(e => e.ToJsonString())));

        foreach (var url in urls)
        {
            var response = await auditor.GetAsync($"/api/v1/audit/{url}");
            await TestNetwork.Expect(response, HttpStatusCode.OK);
            var body = await response.Content.ReadAsStringAsync();
            Assert.False(string.IsNullOrWhiteSpace(body));
            AssertClean(url, body);
        }
        // The identities are really there, for those who may read them: the test would otherwise prove nothing.
        var person = await ngo.Caseworker.GetStringAsync($"/api/v1/persons/{mirjana["person"]!["id"]}");
        Assert.Contains("Петровић", JsonNode.Parse(person)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    /// <summary>The body as sent, and every string and property name in it once JSON escapes are decoded (NDJSON line by line).</summary>
    private static void AssertClean(string what, string body)
    {
        var texts = new List<string> { body };
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries)) Collect(JsonNode.Parse(line), texts);
        foreach (var secret in Secrets)
            Assert.False(texts.Any(t => t.Contains(secret, StringComparison.OrdinalIgnoreCase)), $"{what} reveals '{secret}'");
    }

    private static void Collect(JsonNode? node, List<string> into)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    into.Add(key);
                    Collect(value, into);
                }
                break;
            case JsonArray a:
                foreach (var item in a) Collect(item, into);
                break;
            case JsonValue v when v.TryGetValue<string>(out var text):
                into.Add(text);
                break;
        }
    }
}

public sealed class AuditPrivacyTests_Sqlite(SqliteApiFixture fixture) : AuditPrivacyTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class AuditPrivacyTests_Postgres(PostgresApiFixture fixture) : AuditPrivacyTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class AuditPrivacyTests_SqlServer(SqlServerApiFixture fixture) : AuditPrivacyTests(fixture), IClassFixture<SqlServerApiFixture>;
