using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Lifecycle;
using ReferralNetwork.Api.Tests.People;

namespace ReferralNetwork.Api.Tests.Users;

/// <summary>Two real OpenID providers on loopback: one an organisation trusts, one that no configuration names.</summary>
public sealed class OidcProviders : IAsyncLifetime
{
    public OidcProvider Trusted { get; private set; } = null!;
    public OidcProvider Stranger { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Trusted = await OidcProvider.StartAsync();
        Stranger = await OidcProvider.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Trusted.DisposeAsync();
        await Stranger.DisposeAsync();
    }
}

/// <summary>
/// Issue 16 item 3: an organisation's own OpenID Connect provider. Tokens come from a real provider (the npm
/// <c>oidc-provider</c> package) through the authorization-code flow with PKCE; the API validates them against the
/// provider's published metadata and keys, fetched over loopback, and maps the username claim to a user of the
/// issuer's organisation.
/// </summary>
public abstract class OidcTests(ApiFixture fixture, OidcProviders providers)
{
    private readonly TestNetwork _network = new(fixture);

    /// <summary>The API as an operator configures it to trust <paramref name="provider"/> for <paramref name="organisationId"/>.</summary>
    private WebApplicationFactory<Program> ApiTrusting(OidcProvider provider, Guid organisationId, TimeProvider? time = null) =>
        fixture.Factory.WithWebHostBuilder(web =>
        {
            web.UseSetting("Authentication:Issuers:0:Authority", provider.Authority);
            web.UseSetting("Authentication:Issuers:0:Audience", OidcProvider.Audience);
            web.UseSetting("Authentication:Issuers:0:OrganisationId", organisationId.ToString());
            web.UseSetting("Authentication:Issuers:0:ClientId", OidcProvider.ClientId);
            web.UseSetting("Authentication:Issuers:0:Scope", "openid referral-network");
            web.UseSetting("Authentication:Issuers:0:DisplayName", "Centre sign-in");
            if (time is not null) web.ConfigureTestServices(services => services.AddSingleton(time));
        });

    private static HttpClient Bearer(WebApplicationFactory<Program> api, string token)
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<(Guid Id, string Username)> UserAsync(Guid organisationId, params string[] roles)
    {
        var orgAdmin = fixture.Client(await _network.OrganisationAdminAsync(organisationId));
        var created = await orgAdmin.CreateUserAsync(organisationId, roles.Length == 0 ? ["caseworker"] : roles, username: $"ana.{Guid.NewGuid():N}"[..20]);
        return (created["id"]!.GetValue<Guid>(), created["username"]!.GetValue<string>());
    }

    private static async Task<string> ReasonAsync(HttpResponseMessage response) =>
        (await PeopleApi.ProblemAsync(response, HttpStatusCode.Unauthorized))["reason"]!.GetValue<string>();

    [Fact]
    public async Task A_token_of_the_trusted_provider_names_the_user_who_is_the_actor_of_what_they_do()
    {
        var (centre, receiver) = (await _network.OrganisationAsync(), await _network.OrganisationAsync());
        var (userId, username) = await UserAsync(centre.Id);
        await using var api = ApiTrusting(providers.Trusted, centre.Id);
        var tokens = await providers.Trusted.SignInAsync(username);
        using var client = Bearer(api, tokens.AccessToken);

        var me = await client.GetFromJsonAsync<JsonObject>("/api/v1/me");
        Assert.Equal(userId, me!["principalId"]!.GetValue<Guid>());
        Assert.Equal("Jelena Petrović", me["name"]!.GetValue<string>());
        Assert.Equal(["caseworker"], me["roles"]!.AsArray().Select(r => r!.GetValue<string>()));

        // A bearer token carries no cookie authority: no CSRF token is needed, and what the user does is theirs.
        var submitted = await client.PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(receiver.Id));
        await TestNetwork.Expect(submitted, HttpStatusCode.Created);
        var id = LifecycleApi.IdOf((await submitted.Content.ReadFromJsonAsync<JsonObject>())!);
        await using var connection = await fixture.OpenAsync();
        var actors = (await connection.QueryAsync<Guid>("SELECT principal_id FROM audit_events WHERE stream_id = @S", new { S = $"referral/{id}" })).ToList();
        Assert.NotEmpty(actors);
        Assert.All(actors, a => Assert.Equal(userId, a));
        var timeline = await client.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}/timeline");
        Assert.Equal(userId, timeline!["items"]!.AsArray()[0]!["userId"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task The_thin_client_learns_the_provider_and_exchanges_its_token_for_a_cookie_session()
    {
        var centre = await _network.OrganisationAsync();
        var (userId, username) = await UserAsync(centre.Id, "supervisor");
        await using var api = ApiTrusting(providers.Trusted, centre.Id);
        using var anonymous = api.CreateClient();
        var listed = await anonymous.GetFromJsonAsync<JsonObject>("/api/v1/session/providers");
        var provider = Assert.Single(listed!["items"]!.AsArray())!;
        Assert.Equal(providers.Trusted.Authority, provider["issuer"]!.GetValue<string>());
        Assert.Equal(OidcProvider.ClientId, provider["clientId"]!.GetValue<string>());
        Assert.Equal("Centre sign-in", provider["displayName"]!.GetValue<string>());
        Assert.Equal(providers.Trusted.Authority + "/auth", provider["authorizationEndpoint"]!.GetValue<string>());
        Assert.Equal(providers.Trusted.Authority + "/token", provider["tokenEndpoint"]!.GetValue<string>());
        // The page may redeem the code at the provider's token endpoint, and nowhere else.
        var page = await anonymous.GetAsync("/app/");
        Assert.Contains($"connect-src 'self' {providers.Trusted.Authority};", page.Headers.GetValues("Content-Security-Policy").Single());

        var tokens = await providers.Trusted.SignInAsync(username);
        using var browser = api.CreateClient(); // keeps cookies
        using var exchange = new HttpRequestMessage(HttpMethod.Post, "/api/v1/session/provider");
        exchange.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.AccessToken);
        var started = await browser.SendAsync(exchange);
        await TestNetwork.Expect(started, HttpStatusCode.OK);
        var cookie = Assert.Single(started.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("rn_session=", cookie);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        var session = (await started.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(userId, session["user"]!["id"]!.GetValue<Guid>());
        var whoAmI = await browser.GetFromJsonAsync<JsonObject>("/api/v1/session");
        Assert.Equal(username, whoAmI!["user"]!["username"]!.GetValue<string>());
        Assert.Equal(session["csrfToken"]!.GetValue<string>(), whoAmI["csrfToken"]!.GetValue<string>());
        var signedIn = (await fixture.EventsAsync($"user/{userId}")).Single(e => e.Type == "user.signed_in");
        Assert.Equal(providers.Trusted.Authority, JsonNode.Parse(signedIn.Data)!["identityProvider"]!.GetValue<string>());
        Assert.Equal(userId, signedIn.PrincipalId);

        // Only a provider's token is exchanged: an API key names no person, and a cookie session needs no second one.
        var refused = await fixture.Client(centre.CaseworkerKey).PostAsync("/api/v1/session/provider", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        browser.DefaultRequestHeaders.Add("X-CSRF-Token", session["csrfToken"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.PostAsync("/api/v1/session/provider", null)).StatusCode);
    }

    [Fact]
    public async Task Forged_wrong_audience_wrong_issuer_and_other_organisations_tokens_are_refused_with_their_reason()
    {
        var (centre, other) = (await _network.OrganisationAsync(), await _network.OrganisationAsync());
        var (_, username) = await UserAsync(centre.Id);
        var (_, otherUsername) = await UserAsync(other.Id);
        await using var api = ApiTrusting(providers.Trusted, centre.Id);
        var genuine = await providers.Trusted.SignInAsync(username);
        using (var accepted = Bearer(api, genuine.AccessToken))
            Assert.Equal(HttpStatusCode.OK, (await accepted.GetAsync("/api/v1/me")).StatusCode);

        // Forged: the same claims, issuer and key id, signed with a key that is not the provider's.
        var header = new JsonWebToken(genuine.AccessToken);
        using var rsa = RSA.Create(2048);
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = providers.Trusted.Authority, Audience = OidcProvider.Audience, Expires = DateTime.UtcNow.AddMinutes(10), IssuedAt = DateTime.UtcNow,
            NotBefore = DateTime.UtcNow.AddMinutes(-1), Claims = new Dictionary<string, object> { ["preferred_username"] = username, ["sub"] = username },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = header.Kid }, SecurityAlgorithms.RsaSha256),
        });
        using (var client = Bearer(api, forged)) Assert.Equal("signature_invalid", await ReasonAsync(await client.GetAsync("/api/v1/me")));
        // Unsigned ("alg": "none"): no signature to check is a signature that does not check.
        var unsigned = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = providers.Trusted.Authority, Audience = OidcProvider.Audience, Expires = DateTime.UtcNow.AddMinutes(10),
            Claims = new Dictionary<string, object> { ["preferred_username"] = username },
        });
        using (var client = Bearer(api, unsigned)) Assert.Equal("signature_invalid", await ReasonAsync(await client.GetAsync("/api/v1/me")));
        // The ID token is signed by the provider, but meant for the client, not the API.
        using (var client = Bearer(api, genuine.IdToken)) Assert.Equal("audience_invalid", await ReasonAsync(await client.GetAsync("/api/v1/me")));
        // A real provider that no configuration names.
        var stranger = await providers.Stranger.SignInAsync(username);
        using (var client = Bearer(api, stranger.AccessToken)) Assert.Equal("issuer_unknown", await ReasonAsync(await client.GetAsync("/api/v1/me")));
        // The trusted provider naming a user of another organisation, or someone the API does not know.
        var foreign = await providers.Trusted.SignInAsync(otherUsername);
        using (var client = Bearer(api, foreign.AccessToken)) Assert.Equal("user_unknown", await ReasonAsync(await client.GetAsync("/api/v1/me")));
        var unknown = await providers.Trusted.SignInAsync("nobody.here");
        using (var client = Bearer(api, unknown.AccessToken)) Assert.Equal("user_unknown", await ReasonAsync(await client.GetAsync("/api/v1/me")));
    }

    [Fact]
    public async Task An_expired_token_and_a_deactivated_users_token_are_refused()
    {
        var centre = await _network.OrganisationAsync();
        var (userId, username) = await UserAsync(centre.Id);
        var tokens = await providers.Trusted.SignInAsync(username);
        var expiry = new JsonWebToken(tokens.AccessToken).ValidTo;

        // By the API's own clock: a minute of skew is allowed, not more.
        var later = new FakeTimeProvider(new DateTimeOffset(expiry, TimeSpan.Zero).AddMinutes(2));
        await using (var laterApi = ApiTrusting(providers.Trusted, centre.Id, later))
        using (var client = Bearer(laterApi, tokens.AccessToken))
            Assert.Equal("token_expired", await ReasonAsync(await client.GetAsync("/api/v1/me")));
        var inTime = new FakeTimeProvider(new DateTimeOffset(expiry, TimeSpan.Zero).AddSeconds(-30));
        await using var api = ApiTrusting(providers.Trusted, centre.Id, inTime);
        using var user = Bearer(api, tokens.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/api/v1/me")).StatusCode);

        // Deactivation holds from the next request on, whatever the provider still says.
        var orgAdmin = fixture.Client(await _network.OrganisationAdminAsync(centre.Id));
        var deactivated = await orgAdmin.PatchAsJsonAsync($"/api/v1/organisations/{centre.Id}/users/{userId}", new { active = false });
        await TestNetwork.Expect(deactivated, HttpStatusCode.OK);
        Assert.Equal("user_unknown", await ReasonAsync(await user.GetAsync("/api/v1/me")));
    }

    [Fact]
    public async Task Without_configured_issuers_a_jwt_is_just_an_invalid_api_key()
    {
        var centre = await _network.OrganisationAsync();
        var (_, username) = await UserAsync(centre.Id);
        var tokens = await providers.Trusted.SignInAsync(username);
        using var client = fixture.Client(tokens.AccessToken);
        Assert.Equal("invalid_key", await ReasonAsync(await client.GetAsync("/api/v1/me")));
        var listed = await fixture.Client().GetFromJsonAsync<JsonObject>("/api/v1/session/providers");
        Assert.Empty(listed!["items"]!.AsArray());
    }
}

public sealed class OidcTests_Sqlite(UsersTests_Sqlite.Fixture fixture, OidcProviders providers)
    : OidcTests(fixture, providers), IClassFixture<UsersTests_Sqlite.Fixture>, IClassFixture<OidcProviders>;

[Trait("Database", "Postgres")]
public sealed class OidcTests_Postgres(UsersTests_Postgres.Fixture fixture, OidcProviders providers)
    : OidcTests(fixture, providers), IClassFixture<UsersTests_Postgres.Fixture>, IClassFixture<OidcProviders>;

/// <summary>Fails closed: outside Development an issuer whose metadata would come over plain http stops the process.</summary>
public sealed class OidcStartupTests
{
    [Fact]
    public async Task In_production_an_http_authority_or_an_issuer_without_audience_stops_the_api()
    {
        var environment = new Dictionary<string, string>
        {
            ["Bootstrap__NetworkAdminKey"] = ReferralNetwork.Application.Features.ApiKeys.ApiKeySecrets.NewKey(), ["Encryption__MasterKey"] = ApiFixture.MasterKey,
            ["Audit__CheckpointSigningKey"] = ApiProcess.CheckpointSigningKeyPem,
            ["Authentication__Issuers__0__Authority"] = "http://127.0.0.1:5999", ["Authentication__Issuers__0__Audience"] = OidcProvider.Audience,
            ["Authentication__Issuers__0__OrganisationId"] = Guid.NewGuid().ToString(),
            ["Authentication__Issuers__1__Authority"] = "https://login.example.org/tenant", ["Authentication__Issuers__1__OrganisationId"] = Guid.NewGuid().ToString(),
        };
        await using var api = await ApiProcess.StartAsync(environment, "serve");
        var exitCode = await api.WaitForExitAsync(TimeSpan.FromMinutes(1));
        Assert.True(exitCode != 0, api.Output);
        var refusal = Assert.Single(api.Output.Split('\n'), l => l.Contains("Refusing to start", StringComparison.Ordinal));
        Assert.Contains("Authentication:Issuers:0:Authority is plain http", refusal);
        Assert.Contains("Authentication:Issuers:1:Audience is required", refusal);
    }
}
