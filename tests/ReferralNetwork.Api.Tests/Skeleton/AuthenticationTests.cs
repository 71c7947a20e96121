using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Skeleton;

public abstract class AuthenticationTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    [Fact]
    public async Task No_key_returns_401_problem_with_bearer_challenge()
    {
        var response = await fixture.Client().GetAsync("/api/v1/me");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(401, problem!["status"]!.GetValue<int>());
        Assert.NotNull(problem["traceId"]);
    }

    [Theory]
    [InlineData("rn_unknownunknownunknownunknownunknownunknown")]
    [InlineData("not-a-key")]
    [InlineData("")]
    public async Task Unknown_or_malformed_key_returns_401(string key)
    {
        var client = fixture.Client();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + key);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task Basic_scheme_returns_401()
    {
        var client = fixture.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task Revoked_key_fails_on_its_next_request()
    {
        var organisation = await _network.OrganisationAsync();
        var orgAdmin = fixture.Client(await _network.OrganisationAdminAsync(organisation.Id));
        var created = await (await orgAdmin.PostAsJsonAsync($"/api/v1/organisations/{organisation.Id}/api-keys", new { name = "to revoke", roles = new[] { "caseworker" } }))
            .Content.ReadFromJsonAsync<JsonObject>();
        var client = fixture.Client(created!["key"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me")).StatusCode);

        var revoke = await fixture.Admin().DeleteAsync($"/api/v1/api-keys/{created["id"]}");
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task Caseworker_calling_an_admin_endpoint_gets_403_and_nothing_is_written()
    {
        var organisation = await _network.OrganisationAsync();
        var before = await fixture.RowCountsAsync();
        var response = await organisation.Caseworker.PostAsJsonAsync("/api/v1/organisations",
            new { name = "Rogue", kind = "ngo", municipality = "Niš", services = new[] { "legal_aid" }, languages = new[] { "sr" } });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Me_returns_the_principal_its_roles_and_organisation()
    {
        var organisation = await _network.OrganisationAsync("youth_office");
        var me = await organisation.Caseworker.GetFromJsonAsync<JsonObject>("/api/v1/me");
        Assert.Equal("caseworker", me!["roles"]![0]!.GetValue<string>());
        Assert.Equal(organisation.Id, me["organisation"]!["id"]!.GetValue<Guid>());
        Assert.Equal("youth_office", me["organisation"]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Api_key_list_never_shows_secrets_and_org_admin_cannot_grant_network_roles()
    {
        var organisation = await _network.OrganisationAsync();
        var orgAdmin = fixture.Client(await _network.KeyAsync(organisation.Id, "org_admin"));
        var list = await orgAdmin.GetStringAsync($"/api/v1/organisations/{organisation.Id}/api-keys");
        Assert.DoesNotContain(organisation.CaseworkerKey, list);
        Assert.DoesNotContain("\"key\"", list);

        var escalate = await orgAdmin.PostAsJsonAsync($"/api/v1/organisations/{organisation.Id}/api-keys", new { name = "x", roles = new[] { "auditor" } });
        Assert.Equal(HttpStatusCode.Forbidden, escalate.StatusCode);
        var other = await _network.OrganisationAsync();
        var foreign = await orgAdmin.GetAsync($"/api/v1/organisations/{other.Id}/api-keys");
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
    }

    [Fact]
    public async Task Stored_key_is_only_a_hash()
    {
        var organisation = await _network.OrganisationAsync();
        await using var connection = await fixture.OpenAsync();
        var hashes = (await Dapper.SqlMapper.QueryAsync<byte[]>(connection, "SELECT key_hash FROM api_keys")).ToList();
        Assert.All(hashes, h => Assert.Equal(32, h.Length));
        Assert.Contains(hashes, h => h.SequenceEqual(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(organisation.CaseworkerKey))));
    }
}

public sealed class AuthenticationTests_Sqlite(SqliteApiFixture fixture) : AuthenticationTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class AuthenticationTests_Postgres(PostgresApiFixture fixture) : AuthenticationTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class AuthenticationTests_SqlServer(SqlServerApiFixture fixture) : AuthenticationTests(fixture), IClassFixture<SqlServerApiFixture>;
