using System.Net.Http.Headers;
using Microsoft.Playwright;

namespace ReferralNetwork.Browser.Tests;

/// <summary>A caseworker does the whole lifecycle in the browser, without curl.</summary>
[Collection(nameof(BrowserCollection))]
public sealed class LifecycleInBrowserTests(BrowserFixture fixture)
{
    private async Task<IPage> OpenAsync(string key, string referralId)
    {
        var page = await fixture.SignedInPageAsync(key);
        await page.GotoAsync(new Uri(fixture.Api.BaseAddress, $"/app/#/referral/{referralId}").ToString());
        await page.WaitForSelectorAsync("#referral-status");
        return page;
    }

    private static async Task ActAsync(IPage page, string action, Func<IPage, Task>? fill = null)
    {
        await page.ClickAsync($"button[data-action={action}]");
        await page.WaitForSelectorAsync($"#form-{action}");
        if (fill is not null) await fill(page);
        await page.ClickAsync($"#form-{action} button[type=submit]");
        await page.WaitForSelectorAsync($"#form-{action}", new() { State = WaitForSelectorState.Detached });
    }

    [Fact]
    public async Task Receiver_acknowledges_accepts_starts_and_completes_with_an_outcome_the_referrer_then_sees()
    {
        var referral = await fixture.SubmitAsync("Hana", "Rahimi");
        var page = await OpenAsync(fixture.NgoKey, referral["id"]!.ToString());
        await ActAsync(page, "acknowledge");
        await page.WaitForSelectorAsync("#referral-status:has-text('Received')");
        await ActAsync(page, "accept");
        await page.WaitForSelectorAsync("#referral-status:has-text('Accepted')");
        Assert.Contains("Pravna pomoć Novi Sad", await page.Locator("#responsible").InnerTextAsync());
        await ActAsync(page, "start");
        await page.WaitForSelectorAsync("#referral-status:has-text('In progress')");
        await ActAsync(page, "complete", async p =>
        {
            await p.SelectOptionAsync("#form-complete select[name=outcome]", "service_provided");
            await p.FillAsync("#form-complete textarea[name=note]", "Represented at the interview");
        });
        await page.WaitForSelectorAsync("#referral-status:has-text('Completed')");
        Assert.Contains("Accepted", await page.Locator("#timeline").InnerTextAsync());
        await BrowserFixture.ScreenshotAsync(page, "referral-completed");

        var referrer = await OpenAsync(fixture.CswKey, referral["id"]!.ToString());
        Assert.Equal("Service provided", await referrer.Locator("#outcome").InnerTextAsync());
        Assert.Contains("Represented at the interview", await referrer.Locator("#notes").InnerTextAsync());
        await page.Context.CloseAsync();
        await referrer.Context.CloseAsync();
    }

    [Fact]
    public async Task Receiver_declines_with_a_coded_reason_and_responsibility_returns_to_the_referrer()
    {
        var referral = await fixture.SubmitAsync("Omid", "Karimi");
        var page = await OpenAsync(fixture.NgoKey, referral["id"]!.ToString());
        await ActAsync(page, "decline", async p =>
        {
            await p.SelectOptionAsync("#form-decline select[name=reasonCode]", "no_capacity");
            await p.FillAsync("#form-decline textarea[name=note]", "Full until January");
        });
        await page.WaitForSelectorAsync("#referral-status:has-text('Declined')");
        Assert.Equal("No capacity", await page.Locator("#decline-reason").InnerTextAsync());
        Assert.Contains("Centar za socijalni rad Novi Sad", await page.Locator("#responsible").InnerTextAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Decline_with_reason_other_and_no_note_shows_the_error_beside_the_field()
    {
        var referral = await fixture.SubmitAsync();
        var page = await OpenAsync(fixture.NgoKey, referral["id"]!.ToString());
        await page.ClickAsync("button[data-action=decline]");
        await page.SelectOptionAsync("#form-decline select[name=reasonCode]", "other");
        await page.ClickAsync("#form-decline button[type=submit]");
        await page.WaitForSelectorAsync("#form-decline [data-error-for=note]:not(:empty)");
        Assert.Equal("Requested", await page.Locator("#referral-status").InnerTextAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_referral_changed_meanwhile_answers_412_and_the_page_reloads_it()
    {
        var referral = await fixture.SubmitAsync();
        var id = referral["id"]!.ToString();
        var page = await OpenAsync(fixture.NgoKey, id);
        // A colleague acknowledges it from another desk while this page still shows version 1.
        using var colleague = fixture.Client(fixture.NgoKey2);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{id}/acknowledge");
        request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        (await colleague.SendAsync(request)).EnsureSuccessStatusCode();

        await page.ClickAsync("button[data-action=accept]");
        await page.ClickAsync("#form-accept button[type=submit]");
        await page.WaitForSelectorAsync("#notice");
        Assert.Contains("changed", await page.Locator("#notice").InnerTextAsync());
        Assert.Equal("Received", await page.Locator("#referral-status").InnerTextAsync());
        // The reloaded page carries the new version: accepting now works.
        await ActAsync(page, "accept");
        await page.WaitForSelectorAsync("#referral-status:has-text('Accepted')");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Referrer_withdraws_and_only_valid_actions_are_offered()
    {
        var referral = await fixture.SubmitAsync();
        var page = await OpenAsync(fixture.CswKey, referral["id"]!.ToString());
        var offered = await page.Locator("button[data-action]").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.action)");
        Assert.Equal(["withdraw"], offered);
        await ActAsync(page, "withdraw", p => p.FillAsync("#form-withdraw textarea[name=reason]", "Family left for Bosnia"));
        await page.WaitForSelectorAsync("#referral-status:has-text('Withdrawn')");
        Assert.Equal(0, await page.Locator("button[data-action]").CountAsync());
        await page.Context.CloseAsync();
    }
}
