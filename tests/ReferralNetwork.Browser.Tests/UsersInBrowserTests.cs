using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Browser.Tests;

/// <summary>
/// Issue 16, the thin client's people: an organisation admin invites a person and sees the activation secret once; the
/// person activates and enrols their authenticator from a QR code the API drew; the admin deactivates them, and the
/// person's open page goes back to sign-in saying that the session ended. Then sign-in through the organisation's own
/// OpenID Connect provider (a real one, on loopback).
/// </summary>
[Collection(nameof(BrowserCollection))]
public sealed class UsersInBrowserTests(BrowserFixture fixture)
{
    private const string Password = "zeleni most preko Dunava 7";

    private async Task<IPage> PageAsync(Uri baseAddress, string path = "/app/")
    {
        var context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(baseAddress, "/app/").ToString());
        await page.EvaluateAsync("localStorage.setItem('rn.lang', 'en')");
        await page.ReloadAsync(); // the client reads the language when it loads
        if (path != "/app/") await page.GotoAsync(new Uri(baseAddress, path).ToString());
        return page;
    }

    [Fact]
    public async Task The_admin_invites_a_person_who_enrols_from_the_QR_code_and_deactivation_ends_their_open_session()
    {
        // The NGO's admin is a person too: activated (no second factor is due for org_admin without the policy) and signed in.
        using var adminKey = fixture.Client(fixture.NgoAdminKey);
        var adminName = $"admin.{Guid.NewGuid():N}"[..16];
        var created = await adminKey.PostAsJsonAsync($"/api/v1/organisations/{fixture.NgoId}/users", new { username = adminName, displayName = "Vesna Admin", roles = new[] { "org_admin" } });
        created.EnsureSuccessStatusCode();
        using var anonymous = new HttpClient { BaseAddress = fixture.Api.BaseAddress };
        (await anonymous.PostAsJsonAsync("/api/v1/session/activation", new
        {
            username = adminName, activationSecret = (await created.Content.ReadFromJsonAsync<JsonObject>())!["activationSecret"]!.GetValue<string>(), password = Password,
        })).EnsureSuccessStatusCode();

        var admin = await PageAsync(fixture.Api.BaseAddress);
        await admin.FillAsync("#sign-in-person input[name=username]", adminName);
        await admin.FillAsync("#sign-in-person input[name=password]", Password);
        await admin.ClickAsync("#sign-in-person button[type=submit]");
        await admin.WaitForSelectorAsync("#users");
        // The list arrives after the page: wait for the row rather than race the fetch.
        Assert.NotNull(await admin.WaitForSelectorAsync($"#users tr[data-username='{adminName}']"));

        // Invite: the secret is shown once, in the page; the list has the new person, not yet activated.
        var username = $"marko.{Guid.NewGuid():N}"[..16];
        await admin.FillAsync("#invite-user input[name=username]", username);
        await admin.FillAsync("#invite-user input[name=displayName]", "Marko Jovanović");
        await admin.ClickAsync("#invite-user button[type=submit]");
        var secret = (await (await admin.WaitForSelectorAsync("#activation-secret"))!.TextContentAsync())!.Trim();
        Assert.StartsWith("rna_", secret);
        var row = await admin.WaitForSelectorAsync($"#users tr[data-username='{username}']");
        Assert.Contains("not activated yet", await row!.TextContentAsync());
        await BrowserFixture.ScreenshotAsync(admin, "people");

        // The person activates in their own browser: the QR code is an image drawn by the API, and it renders.
        var person = await PageAsync(fixture.Api.BaseAddress, "/app/#/activate");
        await person.WaitForSelectorAsync("#activate");
        await person.FillAsync("#activate input[name=username]", username);
        await person.FillAsync("#activate input[name=activationSecret]", secret);
        await person.FillAsync("#activate input[name=password]", Password);
        await person.ClickAsync("#activate button[type=submit]");
        var qr = await person.WaitForSelectorAsync("#totp-qr");
        Assert.StartsWith("data:image/svg+xml;base64,", await qr!.GetAttributeAsync("src"));
        Assert.True(await person.EvaluateAsync<bool>("(() => { const i = document.getElementById('totp-qr'); return i.complete && i.naturalWidth > 0; })()"),
            "the QR code image did not render");
        var totp = Authenticator.Base32Decode((await person.TextContentAsync("#totp-secret"))!.Replace(" ", "", StringComparison.Ordinal));
        await BrowserFixture.ScreenshotAsync(person, "enrol-second-factor");
        await person.ClickAsync("#to-sign-in");
        await person.FillAsync("#sign-in-person input[name=username]", username);
        await person.FillAsync("#sign-in-person input[name=password]", Password);
        await person.FillAsync("#sign-in-person input[name=totp]", Authenticator.CodeNow(totp));
        await person.ClickAsync("#sign-in-person button[type=submit]");
        await person.WaitForSelectorAsync("#tab-mine");

        // The admin deactivates them: the row says so, and the person's next request returns them to sign-in with the reason.
        await admin.ReloadAsync();
        await admin.ClickAsync($"#users tr[data-username='{username}'] button[data-user-action=deactivate]");
        await admin.WaitForSelectorAsync($"#users tr[data-username='{username}'][data-active=false]");
        Assert.Contains("deactivated", await admin.TextContentAsync($"#users tr[data-username='{username}'] .user-state"));
        await person.ClickAsync("#tab-inbox");
        await person.WaitForSelectorAsync("#sign-in-person");
        Assert.Equal("Your session has ended; please sign in again.", await person.TextContentAsync("#status"));
        await person.Context.CloseAsync();
        await admin.Context.CloseAsync();
    }

    [Fact]
    public async Task A_person_signs_in_through_the_organisations_own_OpenID_provider()
    {
        // An API of its own, in Development (plain http is trusted only for a loopback provider there), redirecting to a
        // real provider that redirects back to it.
        var port = ApiProcess.FreePort();
        var workingDirectory = Directory.CreateTempSubdirectory("rn-oidc-").FullName;
        await using var provider = await OidcProvider.StartAsync($"http://127.0.0.1:{port}/app/");
        var networkAdminKey = "rn_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development", ["Bootstrap__NetworkAdminKey"] = networkAdminKey,
            ["Encryption__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), ["Audit__CheckpointSigningKey"] = ApiProcess.CheckpointSigningKeyPem,
        };
        Guid centre;
        var username = $"mila.{Guid.NewGuid():N}"[..14];
        await using (var first = await ApiProcess.StartAsync(environment, port: port, workingDirectory: workingDirectory))
        {
            using var network = new HttpClient { BaseAddress = first.BaseAddress };
            network.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", networkAdminKey);
            var organisation = await network.PostAsJsonAsync("/api/v1/organisations", new
            {
                name = "Centar za socijalni rad Subotica", kind = "centre_for_social_work", municipality = "Subotica", services = new[] { "guardianship" }, languages = new[] { "sr" },
            });
            organisation.EnsureSuccessStatusCode();
            centre = (await organisation.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
            using var orgAdmin = new HttpClient { BaseAddress = first.BaseAddress };
            orgAdmin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
                await new KeyMaker(first.BaseAddress, networkAdminKey).KeyAsync(centre, "org_admin"));
            (await orgAdmin.PostAsJsonAsync($"/api/v1/organisations/{centre}/users", new { username, displayName = "Mila Kovač", roles = new[] { "caseworker" } }))
                .EnsureSuccessStatusCode();
        }
        // The operator trusts the centre's provider for the centre's people, and restarts.
        environment["Authentication__Issuers__0__Authority"] = provider.Authority;
        environment["Authentication__Issuers__0__Audience"] = OidcProvider.Audience;
        environment["Authentication__Issuers__0__OrganisationId"] = centre.ToString();
        environment["Authentication__Issuers__0__ClientId"] = OidcProvider.ClientId;
        environment["Authentication__Issuers__0__Scope"] = "openid referral-network";
        environment["Authentication__Issuers__0__DisplayName"] = "CSR Subotica";
        await using var api = await ApiProcess.StartAsync(environment, port: port, workingDirectory: workingDirectory);

        var page = await PageAsync(api.BaseAddress);
        var button = await page.WaitForSelectorAsync($"#providers button[data-issuer='{provider.Authority}']");
        Assert.Equal("Sign in with CSR Subotica", (await button!.TextContentAsync())!.Trim());
        await BrowserFixture.ScreenshotAsync(page, "sign-in-with-provider");
        await button.ClickAsync();
        // The provider's own page, on its own origin.
        await page.WaitForSelectorAsync("#username");
        Assert.StartsWith(provider.Authority, page.Url);
        await page.FillAsync("#username", username);
        await page.ClickAsync("#sign-in");
        // Back in the client with a session: My cases, the person named, and no code left in the address bar.
        await page.WaitForSelectorAsync("#tab-mine");
        Assert.DoesNotContain("code=", page.Url);
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('rn.oidc')"));
        Assert.Contains("Centar za socijalni rad Subotica", await page.TextContentAsync("#top"));
        Assert.DoesNotContain("rn_session", await page.EvaluateAsync<string>("document.cookie")); // HttpOnly
        await page.ClickAsync("#sign-out");
        await page.WaitForSelectorAsync("#sign-in-person");

        await page.Context.CloseAsync();

        // Someone the centre's admin never added is told so, and is not signed in (a new browser: the provider remembers its sign-in).
        var stranger = await PageAsync(api.BaseAddress);
        await stranger.ClickAsync($"#providers button[data-issuer='{provider.Authority}']");
        await stranger.WaitForSelectorAsync("#username");
        await stranger.FillAsync("#username", "stranger.person");
        await stranger.ClickAsync("#sign-in");
        await stranger.WaitForSelectorAsync("#status[data-kind=error]");
        Assert.Contains("not a user here", await stranger.TextContentAsync("#status"));
        Assert.NotNull(await stranger.QuerySelectorAsync("#sign-in-person"));
        await stranger.Context.CloseAsync();
        try { Directory.Delete(workingDirectory, recursive: true); } catch (IOException) { }
    }
}
