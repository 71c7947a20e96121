using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace ReferralNetwork.Browser.Tests;

/// <summary>Issue 23: the receiver works through the child-protection steps as a checklist and completes only when they are done.</summary>
[Collection(nameof(BrowserCollection))]
public sealed class ProtocolStepsInBrowserTests(BrowserFixture fixture)
{
    private static readonly string[] ChildProtectionSteps = ["temporary-guardian", "first-interview", "health-check", "placement-decision"];

    [Fact]
    public async Task The_centre_for_social_work_ticks_the_child_protection_steps_and_a_completion_before_them_is_explained()
    {
        using var caseworker = fixture.Client(fixture.NgoKey);
        var response = await caseworker.PostAsJsonAsync("/api/v1/referrals", new
        {
            receiverOrganisationId = fixture.CswId, services = new[] { "child_protection" }, urgency = "urgent", reason = "Alone at the bus station",
            person = new { givenName = "Omid", familyName = "Karimi", birthYear = 2011, sex = "male", nationality = "AF", languages = new[] { "fa" },
                legalStatus = "asylum_seeker", vulnerabilities = new[] { "unaccompanied_child" } },
            emergencyOverride = new { justification = "Found alone at night; no guardian appointed yet." },
        });
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.ToString();

        var page = await fixture.SignedInPageAsync(fixture.CswKey);
        await page.GotoAsync(new Uri(fixture.Api.BaseAddress, $"/app/#/referral/{id}").ToString());
        await page.WaitForSelectorAsync("#referral-status");
        await page.ClickAsync("button[data-action=accept]");
        await page.ClickAsync("#form-accept button[type=submit]");
        await page.WaitForSelectorAsync("#referral-status:has-text('Accepted')");
        Assert.Equal(ChildProtectionSteps, await page.Locator("#steps li[data-step]").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.step)"));
        Assert.Contains("Legal basis", await page.Locator("#steps li[data-step='temporary-guardian']").InnerTextAsync());

        // Completing as provided before the steps are done is refused, and the page says which steps are missing.
        await page.ClickAsync("button[data-action=complete]");
        await page.SelectOptionAsync("#form-complete select[name=outcome]", "service_provided");
        await page.ClickAsync("#form-complete button[type=submit]");
        await page.WaitForSelectorAsync("#steps-missing");
        Assert.Contains("Placement decision", await page.Locator("#steps-missing").InnerTextAsync());
        await BrowserFixture.ScreenshotAsync(page, "protocol-steps");

        foreach (var step in ChildProtectionSteps)
        {
            var item = $"#steps li[data-step='{step}']";
            if (step == "first-interview") await page.FillAsync($"{item} textarea", "Interview held with an outreach worker and a Dari interpreter.");
            await page.ClickAsync($"{item} button.step-tick");
            await page.WaitForSelectorAsync($"{item} .step-done");
        }
        Assert.Contains("Dari interpreter", await page.Locator("#steps li[data-step='first-interview'] .step-note").InnerTextAsync());
        Assert.Equal(0, await page.Locator("#steps button.step-tick").CountAsync());

        await page.ClickAsync("button[data-action=complete]");
        await page.SelectOptionAsync("#form-complete select[name=outcome]", "service_provided");
        await page.ClickAsync("#form-complete button[type=submit]");
        await page.WaitForSelectorAsync("#referral-status:has-text('Completed')");
        await page.Context.CloseAsync();
    }
}
