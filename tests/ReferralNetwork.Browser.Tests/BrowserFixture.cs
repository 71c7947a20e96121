using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Browser.Tests;

/// <summary>
/// The API as a real process (SQLite, fresh data folder) with a small network, and Debian's chromium driven by
/// Playwright — no browser download. scripts/test.sh installs chromium when missing; without it these tests fail.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumVariable = "REFERRALNET_CHROMIUM";
    // 32 random bytes, like the keys the API issues: outside Development a guessable bootstrap key is refused.
    private readonly string _adminKey = "rn_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    private IPlaywright? _playwright;

    public ApiProcess Api { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public Guid CswId { get; private set; }
    public Guid NgoId { get; private set; }
    public Guid ClinicId { get; private set; }
    public string CswKey { get; private set; } = "";
    public string NgoKey { get; private set; } = "";
    public string NgoKey2 { get; private set; } = "";
    public string NgoSupervisorKey { get; private set; } = "";
    public string NgoAdminKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["Bootstrap__NetworkAdminKey"] = _adminKey,
            ["Encryption__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Audit__CheckpointSigningKey"] = ApiProcess.CheckpointSigningKeyPem,
        });
        using var admin = Client(_adminKey);
        var keys = new KeyMaker(Api.BaseAddress, _adminKey);
        CswId = await OrganisationAsync(admin, "Centar za socijalni rad Novi Sad", "centre_for_social_work", "Novi Sad", ["guardianship", "child_protection", "accommodation"]);
        NgoId = await OrganisationAsync(admin, "Pravna pomoć Novi Sad", "ngo", "Novi Sad", ["legal_aid", "psychosocial_support", "interpretation"]);
        ClinicId = await OrganisationAsync(admin, "Dom zdravlja Novi Sad", "health_centre", "Novi Sad", ["healthcare", "legal_aid"]);
        CswKey = await keys.KeyAsync(CswId, "caseworker");
        NgoKey = await keys.KeyAsync(NgoId, "caseworker");
        NgoKey2 = await keys.KeyAsync(NgoId, "caseworker");
        NgoSupervisorKey = await keys.KeyAsync(NgoId, "supervisor");
        NgoAdminKey = await keys.KeyAsync(NgoId, "org_admin");

        var executable = Environment.GetEnvironmentVariable(ChromiumVariable) ?? "/usr/bin/chromium";
        if (!File.Exists(executable))
            throw new InvalidOperationException($"No chromium at {executable}: run the suite with scripts/test.sh, which installs Debian's chromium.");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>The network admin (publishes protocols).</summary>
    public HttpClient Admin() => Client(_adminKey);

    public HttpClient Client(string key)
    {
        var client = new HttpClient { BaseAddress = Api.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A referral from the centre to the NGO, as a partner system would post it.</summary>
    public async Task<JsonObject> SubmitAsync(string givenName = "Amina", string familyName = "Hadžić", string service = "legal_aid", Guid? receiver = null)
    {
        using var csw = Client(CswKey);
        var response = await csw.PostAsJsonAsync("/api/v1/referrals", new
        {
            receiverOrganisationId = receiver ?? NgoId, services = new[] { service }, urgency = "urgent", reason = "Needs advice before the interview",
            person = new { givenName, familyName, birthYear = 1990, sex = "female", nationality = "SY", languages = new[] { "ar" }, legalStatus = "asylum_seeker", vulnerabilities = Array.Empty<string>() },
            consent = new { givenBy = "person", method = "written" },
        });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public async Task<IPage> SignedInPageAsync(string key, string language = "en", int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height }, TimezoneId = "America/New_York" });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(Api.BaseAddress, "/app/").ToString());
        await page.EvaluateAsync($"localStorage.setItem('rn.lang', '{language}')");
        await page.ReloadAsync();
        // People sign in with username, password and code (PeopleInBrowserTests); these tests use the partner-key form.
        await page.ClickAsync("details summary");
        await page.FillAsync("#sign-in input[name=key]", key);
        await page.ClickAsync("#sign-in button[type=submit]");
        await page.WaitForSelectorAsync("#referral-list");
        return page;
    }

    /// <summary>Saves a screenshot when REFERRALNET_SCREENSHOTS names a folder (how docs/screenshots are made).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Environment.GetEnvironmentVariable("REFERRALNET_SCREENSHOTS");
        if (string.IsNullOrEmpty(folder)) return;
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    private static async Task<Guid> OrganisationAsync(HttpClient admin, string name, string kind, string municipality, string[] services)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/organisations", new { name, kind, municipality, services, languages = new[] { "sr", "en" } });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (Api is not null) await Api.DisposeAsync();
    }
}

[CollectionDefinition(nameof(BrowserCollection))]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>;
