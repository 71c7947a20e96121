using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Features.Users;

namespace ReferralNetwork.Api.Tests.Users;

/// <summary>A signed-in person: a cookie client that sends the session's CSRF token, and what activation gave them.</summary>
public sealed record SignedInUser(Guid Id, Guid OrganisationId, string Username, string Password, byte[]? TotpSecret, HttpClient Client, string CsrfToken);

/// <summary>Users and sessions over HTTP, as an organisation admin and the thin client call them.</summary>
public static class UsersApi
{
    public const string Password = "correct horse battery staple 42";

    public static async Task<JsonObject> CreateUserAsync(this HttpClient orgAdmin, Guid organisationId, string[] roles, string? username = null)
    {
        var response = await orgAdmin.PostAsJsonAsync($"/api/v1/organisations/{organisationId}/users", new
        {
            username = username ?? $"u{Guid.NewGuid():N}"[..20], displayName = "Jelena Petrović", roles,
        });
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static async Task<JsonObject> ActivateAsync(this ApiFixture fixture, string username, string secret, string password = Password)
    {
        var response = await fixture.Client().PostAsJsonAsync("/api/v1/session/activation", new { username, activationSecret = secret, password });
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static string Code(this ApiFixture fixture, byte[] secret, int stepOffset = 0) =>
        Totp.Code(secret, Totp.Step(fixture.Time.GetUtcNow()) + stepOffset);

    public static Task<HttpResponseMessage> SignInAsync(this HttpClient client, string username, string password, string? totp = null) =>
        client.PostAsJsonAsync("/api/v1/session", new { username, password, totp });

    /// <summary>A new person with these roles in the organisation, activated and signed in (TOTP where due).</summary>
    public static async Task<SignedInUser> SignedInUserAsync(this ApiFixture fixture, TestNetwork network, Guid organisationId, params string[] roles)
    {
        var orgAdmin = fixture.Client(await network.OrganisationAdminAsync(organisationId));
        var created = await orgAdmin.CreateUserAsync(organisationId, roles);
        var username = created["username"]!.GetValue<string>();
        var activation = await fixture.ActivateAsync(username, created["activationSecret"]!.GetValue<string>());
        var secret = activation["totpSecret"] is { } s ? Base32.Decode(s.GetValue<string>()) : null;
        var client = fixture.Client();
        var response = await client.SignInAsync(username, Password, secret is null ? null : fixture.Code(secret));
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        var session = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var csrf = session["csrfToken"]!.GetValue<string>();
        client.DefaultRequestHeaders.Add("X-CSRF-Token", csrf);
        return new SignedInUser(created["id"]!.GetValue<Guid>(), organisationId, username, Password, secret, client, csrf);
    }
}
