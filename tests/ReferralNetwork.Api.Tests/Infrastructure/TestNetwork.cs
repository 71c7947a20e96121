using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ReferralNetwork.Api.Tests.Infrastructure;

/// <summary>An organisation of the test network and its keys, created through the API like a network admin would.</summary>
public sealed record TestOrganisation(Guid Id, string Kind, HttpClient Caseworker, string CaseworkerKey);

/// <summary>Builds organisations, keys and referrals through HTTP, as partners and admins do.</summary>
public sealed class TestNetwork(ApiFixture fixture)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<TestOrganisation> OrganisationAsync(string kind = "ngo", string[]? services = null, string municipality = "Beograd", string? name = null)
    {
        var response = await fixture.Admin().PostAsJsonAsync("/api/v1/organisations", new
        {
            name = name ?? $"{kind} {Guid.NewGuid():N}"[..30], kind, municipality,
            services = services ?? ["legal_aid", "psychosocial_support", "healthcare", "accommodation", "guardianship", "education"],
            languages = new[] { "sr", "en" },
        });
        await Expect(response, HttpStatusCode.Created);
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        var key = await KeyAsync(id, "caseworker");
        return new TestOrganisation(id, kind, fixture.Client(key), key);
    }

    /// <summary>
    /// A new key with these roles, made as the network would: network_admin and auditor keys by the network admin, every
    /// other role by the organisation's own org_admin (whose first key the network admin made).
    /// </summary>
    public async Task<string> KeyAsync(Guid organisationId, params string[] roles)
    {
        var byNetworkAdmin = roles.All(r => r is "network_admin" or "auditor");
        var creator = byNetworkAdmin ? fixture.Admin() : fixture.Client(await OrganisationAdminAsync(organisationId));
        return await CreateKeyAsync(creator, organisationId, roles);
    }

    /// <summary>The organisation's first org_admin key: the one key the network admin may make for it.</summary>
    public Task<string> OrganisationAdminAsync(Guid organisationId) =>
        fixture.OrganisationAdmins.GetOrAdd(organisationId, id => new Lazy<Task<string>>(() => CreateKeyAsync(fixture.Admin(), id, ["org_admin"]))).Value;

    private static async Task<string> CreateKeyAsync(HttpClient creator, Guid organisationId, string[] roles)
    {
        var response = await creator.PostAsJsonAsync($"/api/v1/organisations/{organisationId}/api-keys", new { name = "test " + string.Join('+', roles), roles });
        await Expect(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
    }

    public static object Person(string givenName = "Amina", string familyName = "Hadžić", int birthYear = 1994, string[]? vulnerabilities = null, Guid? guardian = null) => new
    {
        givenName, familyName, birthYear, sex = "female", nationality = "SY", languages = new[] { "ar", "en" }, legalStatus = "asylum_seeker",
        vulnerabilities = vulnerabilities ?? [], guardianOrganisationId = guardian,
    };

    public static object Referral(Guid receiver, object? person = null, string service = "legal_aid", string urgency = "urgent", string reason = "Needs advice on the asylum procedure") => new
    {
        receiverOrganisationId = receiver, services = new[] { service }, urgency, reason, person = person ?? Person(),
        consent = new { givenBy = "person", method = "written" },
    };

    public async Task<JsonObject> SubmitAsync(TestOrganisation from, TestOrganisation to, object? body = null)
    {
        var response = await from.Caseworker.PostAsJsonAsync("/api/v1/referrals", body ?? Referral(to.Id));
        await Expect(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static async Task Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        if (response.StatusCode != status)
            throw new Xunit.Sdk.XunitException($"Expected {(int)status} but got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}
