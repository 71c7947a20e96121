using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Infrastructure.Audit;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Api.Tests.People;

/// <summary>Persons, consents and erasure over HTTP, as a partner calls them, and the few reads of the tables the tests need.</summary>
public static class PeopleApi
{
    public const string Phone = "+381 60 1234567";

    public static object Person(string givenName = "Zainab", string familyName = "Al-Hassan", int birthYear = 1994, string sex = "female",
        string? nationality = "SY", string[]? vulnerabilities = null, string? externalRef = null, Guid? guardian = null, string? phone = Phone) => new
    {
        givenName, familyName, birthYear, sex, nationality, languages = new[] { "ar" }, legalStatus = "asylum_seeker",
        vulnerabilities = vulnerabilities ?? [], guardianOrganisationId = guardian, externalRef, phone, dateOfBirth = $"{birthYear}-03-14",
        address = "Krnjača bb, Beograd", documentNumber = "SRB-AS-0042",
    };

    public static async Task<JsonObject> CreatePersonAsync(this HttpClient client, object? person = null)
    {
        var response = await client.PostAsJsonAsync("/api/v1/persons", person ?? Person());
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static object Consent(string givenBy = "person", string method = "written", string[]? services = null, Guid[]? organisations = null) => new
    {
        givenBy, method, scope = new { services = services ?? [], organisations = organisations ?? [] },
    };

    public static async Task<JsonObject> RecordConsentAsync(this HttpClient client, Guid personId, object? consent = null)
    {
        var response = await client.PostAsJsonAsync($"/api/v1/persons/{personId}/consents", consent ?? Consent());
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static Task<HttpResponseMessage> WithdrawConsentAsync(this HttpClient client, Guid personId, Guid consentId, string reason = "She no longer wants legal aid") =>
        client.PostAsJsonAsync($"/api/v1/persons/{personId}/consents/{consentId}/withdraw", new { reason });

    /// <summary>A referral of a registered person relying on a recorded consent (or on the consent object given).</summary>
    public static object Referral(Guid receiver, Guid personId, object consent, string[]? services = null, string reason = "Needs advice before the asylum interview") => new
    {
        receiverOrganisationId = receiver, services = services ?? ["legal_aid"], urgency = "urgent", reason, personId, consent,
    };

    public static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        await TestNetwork.Expect(response, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static async Task<string> RuleAsync(HttpResponseMessage response) =>
        (await ProblemAsync(response, HttpStatusCode.UnprocessableEntity))["rule"]!.GetValue<string>();

    public static Guid Id(this JsonNode node) => node["id"]!.GetValue<Guid>();

    public static async Task<Guid> PrincipalIdAsync(this HttpClient client) =>
        (await client.GetFromJsonAsync<JsonObject>("/api/v1/me"))!["principalId"]!.GetValue<Guid>();

    public static async Task<List<AuditEventRow>> EventsAsync(this ApiFixture fixture, string streamId)
    {
        await using var connection = await fixture.OpenAsync();
        return (await connection.QueryAsync<AuditEventRow>("""
            SELECT global_seq AS GlobalSeq, stream_id AS StreamId, seq, occurred_at AS OccurredAt, principal_id AS PrincipalId,
                   organisation_id AS OrganisationId, role, type, data, prev_hash AS PrevHash, hash
            FROM audit_events WHERE stream_id = @StreamId ORDER BY seq
            """, new { StreamId = streamId })).ToList();
    }

    /// <summary>Every stream's chain recomputes from genesis and ends at its head: what the auditors' verify checks.</summary>
    public static async Task AssertAuditChainsValidAsync(this ApiFixture fixture)
    {
        await using var connection = await fixture.OpenAsync();
        var events = (await connection.QueryAsync<AuditEventRow>("""
            SELECT global_seq AS GlobalSeq, stream_id AS StreamId, seq, occurred_at AS OccurredAt, principal_id AS PrincipalId,
                   organisation_id AS OrganisationId, role, type, data, prev_hash AS PrevHash, hash
            FROM audit_events ORDER BY stream_id, seq
            """)).ToList();
        Assert.NotEmpty(events);
        foreach (var stream in events.GroupBy(e => e.StreamId))
        {
            var previous = AuditChain.Genesis;
            var seq = 1L;
            foreach (var e in stream)
            {
                Assert.Equal(seq++, e.Seq);
                Assert.Equal(previous, e.PrevHash);
                Assert.Equal(e.Hash, AuditChain.Recompute(e));
                previous = e.Hash;
            }
            var head = await connection.QuerySingleAsync<(long Seq, string Hash)>("SELECT seq, hash FROM audit_stream_heads WHERE stream_id = @Id", new { Id = stream.Key });
            Assert.Equal((stream.Last().Seq, stream.Last().Hash), head);
        }
    }
}
