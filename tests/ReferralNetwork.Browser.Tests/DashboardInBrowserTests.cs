using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ReferralNetwork.Browser.Tests;

/// <summary>Issue 18: the reports dashboard draws its charts from the indicators and repeats every number in a table.</summary>
[Collection(nameof(BrowserCollection))]
public sealed class DashboardInBrowserTests(BrowserFixture fixture)
{
    [Fact]
    public async Task The_dashboard_draws_charts_with_data_and_a_table_with_the_same_numbers()
    {
        // Ten referrals to the NGO, each acknowledged at once: enough that nothing of the NGO's own row is withheld.
        using var ngo = fixture.Client(fixture.NgoKey);
        for (var i = 0; i < 10; i++)
        {
            var id = (await fixture.SubmitAsync(givenName: $"Dash{i}", familyName: "Rahimi"))["id"]!.ToString();
            var read = await ngo.GetAsync($"/api/v1/referrals/{id}");
            using var acknowledge = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{id}/acknowledge");
            acknowledge.Headers.TryAddWithoutValidation("If-Match", read.Headers.ETag!.Tag);
            (await ngo.SendAsync(acknowledge)).EnsureSuccessStatusCode();
        }

        var page = await fixture.SignedInPageAsync(fixture.NgoSupervisorKey);
        await page.ClickAsync("#nav-dashboard");
        await page.WaitForSelectorAsync("#chart-acknowledge");
        Assert.Contains("Your organisation only", await page.Locator("main").InnerTextAsync());

        foreach (var chart in new[] { "chart-acknowledge", "chart-ontime", "chart-breaches", "chart-outcomes" })
        {
            var svg = page.Locator($"svg#{chart}");
            Assert.Equal("img", await svg.GetAttributeAsync("role"));
            Assert.False(string.IsNullOrWhiteSpace(await svg.Locator("title").First.TextContentAsync()));
            Assert.False(string.IsNullOrWhiteSpace(await svg.Locator("desc").TextContentAsync()));
            var bars = svg.Locator("rect.chart-bar");
            Assert.True(await bars.CountAsync() > 0, chart + " has no bars");
            for (var i = 0; i < await bars.CountAsync(); i++)
            {
                var box = await bars.Nth(i).BoundingBoxAsync();
                Assert.True(box is { Width: > 0, Height: > 0 }, $"{chart} bar {i} has no size");
            }
            // The table holds what the chart shows, label by label and value by value.
            var shown = await svg.Locator("text.chart-value").AllTextContentsAsync();
            var labels = new List<string>();
            foreach (var label in await svg.Locator("text.chart-label").AllAsync()) labels.Add((await label.GetAttributeAsync("data-label"))!);
            Assert.Equal(shown, await page.Locator($"#{chart}-table tbody td").AllTextContentsAsync());
            Assert.Equal(labels, await page.Locator($"#{chart}-table tbody th").AllTextContentsAsync());
        }
        // The NGO acknowledged every one of its duties on time, and the outcomes list the open ones.
        Assert.Equal(["100 %"], await page.Locator("#chart-ontime-table tbody td").AllTextContentsAsync());
        Assert.Contains("Still open", await page.Locator("#chart-outcomes-table").InnerTextAsync());
        Assert.Equal(3, await page.Locator("#chart-breaches-table tbody tr").CountAsync());

        // Exports download as files (and are audited by the server).
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#export-indicators-csv"));
        Assert.EndsWith(".csv", download.SuggestedFilename, StringComparison.Ordinal);
        await BrowserFixture.ScreenshotAsync(page, "dashboard");

        // In Serbian the same page speaks Serbian.
        await page.ClickAsync("button[data-lang=sr]");
        await page.WaitForSelectorAsync("h2:has-text('Pregled')");
        await page.Context.CloseAsync();
    }
}
