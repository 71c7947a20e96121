using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ReferralNetwork.Benchmarks;

public sealed record Organisation(int Index, Guid Id, string Kind, IReadOnlyList<string> Services, Guid KeyId, string Key);

/// <summary>The organisations and keys of the run, all created through the API (as partners would).</summary>
public sealed class Network
{
    public const string BigOrganisationName = "Inbox-heavy NGO (holds the 100k inbox)";

    public static readonly string[] Kinds = ["centre_for_social_work", "ngo", "health_centre", "youth_office", "asylum_centre", "reception_centre", "international_organisation"];

    private static readonly string[] OptionalServices =
        ["healthcare", "interpretation", "accommodation", "education", "language_classes", "employment", "family_tracing", "cash_assistance", "integration_support"];

    public required Guid CoordinatorId { get; init; }
    public required Guid AdminPrincipalId { get; init; }
    public required IReadOnlyList<Organisation> Organisations { get; init; }
    public string? AuditorKey { get; init; }
    public string? AuditorProblem { get; init; }

    /// <summary>The receiving organisation that holds <c>--inbox-referrals</c> of the bulk-loaded referrals.</summary>
    public Organisation Big => Organisations[0];

    public static async Task<Network> SeedAsync(Uri api, string adminKey, int count, int seed)
    {
        using var client = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        var me = await ReadAsync(await client.GetAsync("/api/v1/me"));
        var coordinator = Guid.Parse(me["organisation"]!["id"]!.GetValue<string>());
        var random = new Random(seed);
        var organisations = new List<Organisation>();
        for (var i = 0; i < count; i++)
        {
            var kind = i == 0 ? "ngo" : Kinds[i % Kinds.Length];
            // Every organisation offers legal aid and psychosocial support (what the submit scenario asks for) and two more.
            var services = new List<string> { "legal_aid", "psychosocial_support" };
            services.AddRange(OptionalServices.OrderBy(_ => random.Next()).Take(2));
            var created = await ReadAsync(await client.PostAsJsonAsync("/api/v1/organisations", new
            {
                name = i == 0 ? BigOrganisationName : $"Benchmark organisation {i:D3}",
                kind, municipality = i % 3 == 0 ? "Beograd" : i % 3 == 1 ? "Subotica" : "Šid",
                services, languages = new[] { "sr", "en", "ar", "fa" },
            }));
            var id = Guid.Parse(created["id"]!.GetValue<string>());
            // The network admin makes only the organisation's first org_admin key; that admin makes the caseworker key.
            var orgAdmin = await ReadAsync(await client.PostAsJsonAsync($"/api/v1/organisations/{id}/api-keys", new { name = "benchmark admin", roles = new[] { "org_admin" } }));
            using var asAdmin = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/organisations/{id}/api-keys")
            {
                Content = JsonContent.Create(new { name = "benchmark caseworker", roles = new[] { "caseworker" } }),
            };
            asAdmin.Headers.Authorization = new AuthenticationHeaderValue("Bearer", orgAdmin["key"]!.GetValue<string>());
            var key = await ReadAsync(await client.SendAsync(asAdmin));
            organisations.Add(new Organisation(i, id, kind, services, Guid.Parse(key["id"]!.GetValue<string>()), key["key"]!.GetValue<string>()));
        }
        string? auditorKey = null, auditorProblem = null;
        var auditor = await client.PostAsJsonAsync($"/api/v1/organisations/{coordinator}/api-keys", new { name = "benchmark auditor", roles = new[] { "auditor" } });
        if (auditor.IsSuccessStatusCode) auditorKey = (await ReadAsync(auditor))["key"]!.GetValue<string>();
        else auditorProblem = $"{(int)auditor.StatusCode} {await auditor.Content.ReadAsStringAsync()}";
        return new Network
        {
            CoordinatorId = coordinator, AdminPrincipalId = Guid.Parse(me["principalId"]!.GetValue<string>()), Organisations = organisations,
            AuditorKey = auditorKey, AuditorProblem = auditorProblem,
        };
    }

    /// <summary>The body of one submission: an adult with consent, to another organisation, for legal aid.</summary>
    public static byte[] SubmitBody(Guid receiver, int variant) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        receiverOrganisationId = receiver,
        services = new[] { "legal_aid" },
        urgency = (variant % 3) switch { 0 => "routine", 1 => "urgent", _ => "emergency" },
        reason = "Needs advice before the asylum interview; speaks Arabic and some English.",
        person = new
        {
            givenName = "Zainab", familyName = "Al-Hassan", birthYear = 1990 + variant % 10, sex = "female", nationality = "SY",
            languages = new[] { "ar" }, legalStatus = "asylum_seeker", vulnerabilities = new[] { "single_parent" },
        },
        consent = new { givenBy = "person", method = "verbal_with_interpreter" },
    }));

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} → {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }
}
