using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace ReferralNetwork.Browser.Tests;

/// <summary>Issue 13 item 3: a supervisor finds the overrides waiting for review and reviews one — never its own.</summary>
[Collection(nameof(BrowserCollection))]
public sealed class OverrideReviewInBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task A_supervisor_sees_the_pending_override_in_its_reviews_tab_and_approves_it()
    {
        // A caseworker of the NGO refers an unaccompanied child to the health centre at night, without consent.
        using var caseworker = fixture.Client(fixture.NgoKey);
        var response = await caseworker.PostAsJsonAsync("/api/v1/referrals", new
        {
            receiverOrganisationId = fixture.ClinicId, services = new[] { "healthcare" }, urgency = "emergency", reason = "High fever, alone",
            person = new { givenName = "Yusuf", familyName = "Noori", birthYear = 2012, sex = "male", nationality = "AF", languages = new[] { "ps" },
                legalStatus = "asylum_seeker", vulnerabilities = new[] { "unaccompanied_child" } },
            emergencyOverride = new { justification = "Fever at 2 a.m.; no guardian appointed yet." },
        });
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.ToString();

        var page = await fixture.SignedInPageAsync(fixture.NgoSupervisorKey);
        await page.ClickAsync("#tab-reviews");
        await page.WaitForSelectorAsync($"#referral-list li[data-id='{id}']");
        await page.ClickAsync($"#referral-list li[data-id='{id}'] a");
        await page.WaitForSelectorAsync("#override-review");
        Assert.Contains("Emergency override of consent", await page.Locator("#consent-basis").InnerTextAsync());
        Assert.Contains("Guardian appointment", await page.Locator("#duties").InnerTextAsync());
        await BrowserFixture.ScreenshotAsync(page, "override-review");

        await page.ClickAsync("#approve-override");
        await page.WaitForSelectorAsync("#override-status:has-text('approved')");
        Assert.Equal(0, await page.Locator("#override-review").CountAsync());

        // The caseworker who submitted it sees no review screen (its key holds no supervisor role).
        var own = await fixture.SignedInPageAsync(fixture.NgoKey);
        Assert.Equal(0, await own.Locator("#tab-reviews").CountAsync());
        await page.Context.CloseAsync();
        await own.Context.CloseAsync();
    }
}
