using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace ReferralNetwork.Browser.Tests;

/// <summary>Issue 17: the casework a social worker lives in — no duplicate persons, more than one service, a worklist by deadline.</summary>
[Collection(nameof(BrowserCollection))]
public sealed class CaseworkInBrowserTests(BrowserFixture fixture)
{
    private static string Letters() => string.Concat(Guid.NewGuid().ToString("N").Where(char.IsLetter).Take(6));

    [Fact]
    public async Task Typing_a_known_person_shows_the_match_and_reusing_it_refers_the_same_person_without_a_new_record()
    {
        var family = "Rahimi" + Letters();
        var first = await fixture.SubmitAsync("Zahra", family);
        var personId = first["person"]!["id"]!.GetValue<Guid>();

        var page = await fixture.SignedInPageAsync(fixture.CswKey);
        await page.ClickAsync("#new-referral");
        await page.CheckAsync("#s-legal_aid");
        await page.WaitForSelectorAsync($"select[name=receiverOrganisationId] option[value='{fixture.NgoId}']", new() { State = WaitForSelectorState.Attached });
        await page.SelectOptionAsync("select[name=receiverOrganisationId]", fixture.NgoId.ToString());
        await page.FillAsync("textarea[name=reason]", "Second appointment");
        // Typed as a worker hears it: lower case, no diacritics; the birth year is the same.
        await page.FillAsync("input[name='person.givenName']", "zahra");
        await page.FillAsync("input[name='person.familyName']", family.ToLowerInvariant());
        await page.FillAsync("input[name='person.birthYear']", "1990");
        var match = page.Locator($"#matches li.match[data-person-id='{personId}']");
        await match.WaitForAsync();
        Assert.Contains("Z.R.", await match.InnerTextAsync());
        Assert.Contains("family name", await match.InnerTextAsync());
        Assert.Contains("birth year", await match.InnerTextAsync());
        Assert.Matches(@"match \d+ %", await match.InnerTextAsync());
        await BrowserFixture.ScreenshotAsync(page, "new-referral-matches");

        await match.Locator("button.use-person").ClickAsync();
        Assert.False(await page.Locator("#person-fields").IsVisibleAsync());
        await page.ClickAsync("#new-referral-form button[type=submit]");
        await page.WaitForSelectorAsync("#referral-status");
        var id = page.Url.Split("#/referral/")[1];

        using var csw = fixture.Client(fixture.CswKey);
        var second = await csw.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}");
        Assert.Equal(personId, second!["person"]!["id"]!.GetValue<Guid>());
        var persons = await csw.GetFromJsonAsync<JsonObject>($"/api/v1/persons?q={family}");
        Assert.Single(persons!["items"]!.AsArray()); // no second record of Zahra
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task More_than_one_service_lists_only_receivers_offering_all_of_them_and_the_referral_carries_each()
    {
        var page = await fixture.SignedInPageAsync(fixture.CswKey);
        await page.ClickAsync("#new-referral");
        await page.WaitForSelectorAsync("#municipalities option[value='Novi Sad']", new() { State = WaitForSelectorState.Attached });
        await page.FillAsync("input[name=municipality]", "novi sad"); // as typed: the directory matches it anyway
        await page.CheckAsync("#s-legal_aid");
        await page.WaitForSelectorAsync($"select[name=receiverOrganisationId] option[value='{fixture.NgoId}']", new() { State = WaitForSelectorState.Attached });
        Assert.Equal(1, await page.Locator($"select[name=receiverOrganisationId] option[value='{fixture.ClinicId}']").CountAsync());
        await page.CheckAsync("#s-healthcare");
        await page.WaitForSelectorAsync($"select[name=receiverOrganisationId] option[value='{fixture.NgoId}']", new() { State = WaitForSelectorState.Detached });
        await page.SelectOptionAsync("select[name=receiverOrganisationId]", fixture.ClinicId.ToString());
        await page.FillAsync("textarea[name=reason]", "Check-up and a lawyer");
        await page.FillAsync("input[name='person.givenName']", "Hamid");
        await page.FillAsync("input[name='person.familyName']", "Dvauslug" + Letters());
        await page.FillAsync("input[name='person.birthYear']", "1977");
        await page.ClickAsync("#new-referral-form button[type=submit]");
        await page.WaitForSelectorAsync("#referral-status");
        var id = page.Url.Split("#/referral/")[1];

        using var csw = fixture.Client(fixture.CswKey);
        var referral = await csw.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}");
        Assert.Equal(["legal_aid", "healthcare"], referral!["services"]!.AsArray().Select(s => s!.GetValue<string>()).Order().Reverse());
        Assert.Matches(@"^RN-\d{4}-\d{6}$", await page.Locator("#referral-reference").InnerTextAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_inbox_lists_the_overdue_referral_first_counts_what_the_filters_show_and_finds_a_reference()
    {
        var protocol = await FastProtocolAsync();
        using var csw = fixture.Client(fixture.CswKey);
        var late = await (await csw.PostAsJsonAsync("/api/v1/referrals", new
        {
            receiverOrganisationId = fixture.NgoId, services = new[] { "legal_aid" }, urgency = "routine", reason = "Asked last week", protocolCode = protocol,
            person = new { givenName = "Karim", familyName = "Zaman" + Letters(), birthYear = 1995, sex = "male", nationality = "AF", languages = new[] { "ps" },
                legalStatus = "asylum_seeker", vulnerabilities = Array.Empty<string>() },
            consent = new { givenBy = "person", method = "written" },
        })).Content.ReadFromJsonAsync<JsonObject>();
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // its acknowledgement was due in 2 s
        var fresh = await fixture.SubmitAsync("Sara", "Novak" + Letters());

        var page = await fixture.SignedInPageAsync(fixture.NgoKey);
        var rows = page.Locator("#referral-list li.referral");
        await rows.First.WaitForAsync();
        var order = await rows.EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.id)");
        Assert.Equal(late!["id"]!.GetValue<string>(), order[0]); // created before the fresh one, but overdue: first
        Assert.True(Array.IndexOf(order, fresh["id"]!.GetValue<string>()) > 0);
        Assert.Equal(1, await rows.First.Locator(".badge.overdue").CountAsync());
        Assert.Equal(late["reference"]!.GetValue<string>(), await rows.First.Locator(".reference").InnerTextAsync());

        // Newest first on request; the counts follow the filters, and a reference finds its one referral.
        await page.SelectOptionAsync("#filters select[name=sort]", "created");
        await page.ClickAsync("#filters button[type=submit]");
        await page.WaitForSelectorAsync($"#referral-list li.referral:first-child[data-id='{fresh["id"]}']");
        await page.FillAsync("#filters input[name=q]", late["reference"]!.GetValue<string>());
        await page.ClickAsync("#filters button[type=submit]");
        await page.WaitForSelectorAsync("#tab-inbox .count:text-is('1')");
        Assert.Equal([late["id"]!.GetValue<string>()], await rows.EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.id)"));
        await page.Context.CloseAsync();
    }

    /// <summary>A protocol only a referral naming it uses (no person is 150), with an acknowledgement due in 2 s.</summary>
    private async Task<string> FastProtocolAsync()
    {
        var code = "fast-" + Guid.NewGuid().ToString("N")[..12];
        var deadlines = new { acknowledge = "PT2S", decide = "P5D", followUp = "P10D" };
        using var admin = fixture.Admin();
        var response = await admin.PostAsJsonAsync("/api/v1/protocols", new
        {
            code, title = "Second-scale acknowledgement", appliesTo = new { minAge = 150 },
            consent = new { requiredFrom = new[] { "person" }, emergencyOverride = new { allowed = true, reviewWithin = "PT24H" } },
            deadlines = new { emergency = deadlines, urgent = deadlines, routine = deadlines },
            receivers = new Dictionary<string, object> { ["*"] = new { kinds = new[] { "ngo", "centre_for_social_work", "health_centre" } } },
            escalateTo = new { organisationKind = "network_coordinator" },
        });
        response.EnsureSuccessStatusCode();
        return code;
    }
}
