using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ReferralNetwork.Browser.Tests;

/// <summary>Issue 16: a person signs in with password and TOTP, takes a case, finds it in My cases, signs out.</summary>
[Collection(nameof(BrowserCollection))]
public sealed class PeopleInBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task Sign_in_with_password_and_totp_take_a_case_see_it_in_My_cases_and_sign_out()
    {
        using var admin = fixture.Client(fixture.NgoAdminKey);
        var username = $"ana.{Guid.NewGuid():N}"[..16];
        var created = await admin.PostAsJsonAsync($"/api/v1/organisations/{fixture.NgoId}/users", new { username, displayName = "Ana Petrović", roles = new[] { "caseworker" } });
        created.EnsureSuccessStatusCode();
        var secret = (await created.Content.ReadFromJsonAsync<JsonObject>())!["activationSecret"]!.GetValue<string>();
        const string password = "tri psa na mostu 2026";
        using var anonymous = new HttpClient { BaseAddress = fixture.Api.BaseAddress };
        var activation = await anonymous.PostAsJsonAsync("/api/v1/session/activation", new { username, activationSecret = secret, password });
        activation.EnsureSuccessStatusCode();
        var totp = Authenticator.Base32Decode((await activation.Content.ReadFromJsonAsync<JsonObject>())!["totpSecret"]!.GetValue<string>());
        var referral = await fixture.SubmitAsync("Leila", "Karimi");
        var id = referral["id"]!.GetValue<Guid>();

        var context = await fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(fixture.Api.BaseAddress, "/app/").ToString());
        await page.EvaluateAsync("localStorage.setItem('rn.lang', 'en')");
        await page.ReloadAsync();
        await page.FillAsync("#sign-in-person input[name=username]", username);
        await page.FillAsync("#sign-in-person input[name=password]", password);
        await page.FillAsync("#sign-in-person input[name=totp]", "000000");
        await page.ClickAsync("#sign-in-person button[type=submit]");
        await page.WaitForSelectorAsync("#status[data-kind=error]");
        await page.FillAsync("#sign-in-person input[name=password]", password);
        await page.FillAsync("#sign-in-person input[name=totp]", Authenticator.CodeNow(totp));
        await page.ClickAsync("#sign-in-person button[type=submit]");
        await page.WaitForSelectorAsync("#tab-mine");
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('rn.key')"));
        Assert.DoesNotContain("rn_session", await page.EvaluateAsync<string>("document.cookie")); // HttpOnly

        await page.GotoAsync(new Uri(fixture.Api.BaseAddress, $"/app/#/referral/{id}").ToString());
        await page.ClickAsync("#take");
        await page.WaitForSelectorAsync("#notice");
        Assert.Equal("Assigned to you.", await page.TextContentAsync("#assignee"));
        await page.EvaluateAsync("location.hash = '#/mine'");
        await page.WaitForSelectorAsync($"#referral-list a[href='#/referral/{id}']");
        await BrowserFixture.ScreenshotAsync(page, "my-cases");

        // A reload keeps the session (the cookie), the CSRF token comes back from GET /session.
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("#tab-mine");
        await page.ClickAsync("#sign-out");
        await page.WaitForSelectorAsync("#sign-in-person");
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("#sign-in-person");
        await context.CloseAsync();
    }
}
