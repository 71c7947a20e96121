using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace ReferralNetwork.Browser.Tests;

/// <summary>Issue 17: Serbian in Cyrillic as a third language, a dictionary with nothing missing, and a referral on paper.</summary>
[Collection(nameof(BrowserCollection))]
public sealed class LanguagesAndPrintInBrowserTests(BrowserFixture fixture)
{
    private static bool HasCyrillic(string text) => text.Any(c => c is >= '\u0400' and <= '\u04FF');

    [Fact]
    public async Task Cyrillic_labels_the_page_and_the_API_refuses_in_Cyrillic_too()
    {
        await fixture.SubmitAsync();
        var page = await fixture.SignedInPageAsync(fixture.CswKey, "en");
        await page.ClickAsync("button[data-lang='sr-Cyrl']");
        await page.WaitForSelectorAsync("#tab-inbox:has-text('Примљена')");
        Assert.Equal("sr-Cyrl", await page.EvaluateAsync<string>("document.documentElement.lang"));
        Assert.Contains("Одјава", await page.Locator("#sign-out").InnerTextAsync());
        Assert.Contains("Стручни радник", await page.Locator(".who").InnerTextAsync()); // the role, translated (it read "caseworker")
        await BrowserFixture.ScreenshotAsync(page, "inbox-cyrillic");

        // The API's own refusal, asked for with Accept-Language: sr-Cyrl, beside its field.
        string? language = null;
        page.Request += (_, request) => { if (request.Method == "POST") language = request.Headers.GetValueOrDefault("accept-language"); };
        await page.ClickAsync("#new-referral");
        await page.CheckAsync("#s-legal_aid");
        await page.ClickAsync("#new-referral-form button[type=submit]");
        var error = page.Locator("[data-error-for='person.givenName']");
        await page.WaitForSelectorAsync("[data-error-for='person.givenName']:not(:empty)");
        Assert.Equal("sr-Cyrl", language);
        Assert.True(HasCyrillic(await error.InnerTextAsync()), await error.InnerTextAsync());
        Assert.Contains("Пошаљи упућивање", await page.Locator("#new-referral-form button[type=submit]").InnerTextAsync());
        await page.Context.CloseAsync();
    }

    /// <summary>
    /// Every key of English — those of i18n.js and those the page modules add — is said in both Serbian scripts with the same
    /// {placeholders}; the Cyrillic is Cyrillic (it is derived from the Latin, so it cannot fall out of step); plurals and
    /// dates follow each language.
    /// </summary>
    [Fact]
    public async Task Every_English_text_has_both_serbian_scripts_with_the_same_placeholders_and_plurals_and_dates_per_language()
    {
        var page = await fixture.SignedInPageAsync(fixture.NgoKey, "en");
        var problems = await page.EvaluateAsync<string[]>("""
            async () => {
              const i18n = await import('/app/i18n.js');
              const holes = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
              const en = i18n.dictionary('en');
              const problems = [];
              for (const language of ['sr', 'sr-Cyrl']) {
                const other = i18n.dictionary(language);
                for (const [key, text] of Object.entries(en)) {
                  if (typeof other[key] !== 'string' || other[key] === '') problems.push(`${language}: missing ${key}`);
                  else if (holes(other[key]) !== holes(text)) problems.push(`${language}: ${key} has {${holes(other[key])}}, English {${holes(text)}}`);
                }
              }
              const cyrillic = i18n.dictionary('sr-Cyrl');
              for (const [key, text] of Object.entries(cyrillic)) {
                if (/[a-zčćžšđ]{3,}/.test(text.replace(/\{\w+\}|rn_|'[^']*'/g, '')) && !/[\u0400-\u04FF]/.test(text) && key !== 'appName') problems.push(`sr-Cyrl: not Cyrillic: ${key} = ${text}`);
              }
              return problems;
            }
            """);
        Assert.True(problems.Length == 0, string.Join('\n', problems));

        var spans = await page.EvaluateAsync<string[]>("""
            async () => {
              const i18n = await import('/app/i18n.js');
              const out = [];
              for (const language of ['en', 'sr', 'sr-Cyrl']) {
                i18n.setLang(language);
                out.push([1, 2, 5, 21].map((n) => i18n.formatSpan(n * 60000)).join(', ') + ' | ' + [2, 5, 21].map((n) => i18n.formatSpan(n * 86400000)).join(', ')
                  + ' | ' + i18n.formatTime('2026-12-01T12:00:00Z'));
              }
              i18n.setLang('en');
              return out;
            }
            """);
        Assert.Equal("1 minute, 2 minutes, 5 minutes, 21 minutes | 2 days, 5 days, 21 days | 1 Dec 2026, 13:00", spans[0]);
        Assert.Equal("1 minut, 2 minuta, 5 minuta, 21 minut | 2 dana, 5 dana, 21 dan | 1. dec 2026. 13:00", spans[1]);
        Assert.Equal("1 минут, 2 минута, 5 минута, 21 минут | 2 дана, 5 дана, 21 дан | 1. дец 2026. 13:00", spans[2]);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Printing_a_referral_shows_no_buttons_and_an_identity_only_after_the_reader_revealed_it()
    {
        var referral = await fixture.SubmitAsync("Mahsa", "Jafari");
        var id = referral["id"]!.GetValue<string>();
        using (var ngo = fixture.Client(fixture.NgoKey))
        {
            var decline = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{id}/decline") { Content = JsonContent.Create(new { reasonCode = "no_capacity" }) };
            decline.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
            (await ngo.SendAsync(decline)).EnsureSuccessStatusCode();
        }
        var page = await fixture.SignedInPageAsync(fixture.NgoKey, "sr");
        await page.GotoAsync(new Uri(fixture.Api.BaseAddress, $"/app/#/referral/{id}").ToString());
        await page.WaitForSelectorAsync("#referral-status");
        await page.EvaluateAsync("window.print = () => { window.printed = true; }");
        await page.ClickAsync("#print");
        Assert.True(await page.EvaluateAsync<bool>("window.printed === true"));

        await page.EmulateMediaAsync(new() { Media = Media.Print });
        Assert.False(await page.Locator("#print").IsVisibleAsync());
        Assert.False(await page.Locator("#sign-out").IsVisibleAsync());
        Assert.Equal(0, await page.Locator("button:visible, form:visible, nav:visible").CountAsync());
        Assert.True(await page.Locator("#printed-at").IsVisibleAsync());
        var paper = await page.Locator("main").InnerTextAsync();
        Assert.Contains(referral["reference"]!.GetValue<string>(), paper);
        Assert.Contains("Nema kapaciteta", paper); // the decline reason, and in the timeline in words, not its code
        Assert.DoesNotContain("no_capacity", paper);
        Assert.DoesNotContain("Mahsa", paper);
        Assert.DoesNotContain("Mahsa", await page.ContentAsync());

        // Revealed on screen, it prints; the reveal is the reader's choice (and in the access log).
        await page.EmulateMediaAsync(new() { Media = Media.Screen });
        await page.ClickAsync("#show-identity");
        await page.WaitForSelectorAsync("#identity .identity");
        await page.EmulateMediaAsync(new() { Media = Media.Print });
        Assert.True(await page.Locator("#identity .identity").IsVisibleAsync());
        Assert.Contains("Mahsa Jafari", await page.Locator("main").InnerTextAsync());
        await BrowserFixture.ScreenshotAsync(page, "referral-print");
        await page.Context.CloseAsync();
    }
}
