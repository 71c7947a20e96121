using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Users;
using ReferralNetwork.Infrastructure.Audit.Log;

namespace ReferralNetwork.Api.Tests.Isolation;

/// <summary>
/// OWASP API1/API3/API5: every route × role × relation, with the status each must get, kept as one table. A referral of a
/// child is shared by a referrer (youth office), a receiver (NGO) and an observer (the guardian's centre for social
/// work); an outsider, an auditor, the network admin and organisation admins stand around it.
/// </summary>
public abstract class TenantIsolationMatrixTests(ApiFixture fixture)
{
    /// <summary>The columns of the table, in order.</summary>
    /// <summary>"refuser" (issue 16) is a caseworker of the referrer signed in with a session cookie (and its CSRF token): it gets what
    /// the referrer's caseworker key gets unless a case says otherwise.</summary>
    private static readonly string[] Actors = ["referrer", "supervisor", "receiver", "observer", "outsider", "auditor", "netadmin", "refadmin", "outadmin", "refuser"];

    private sealed record World(Guid Referrer, Guid Receiver, Guid Observer, Guid Outsider, Guid Referral, Guid Person, Guid Webhook,
        IReadOnlyDictionary<string, HttpClient> Clients)
    {
        /// <summary>Another person of the referrer (not the signed-in one).</summary>
        public Guid User { get; init; }

        /// <summary>A document of the referral, uploaded by the referrer (issue 17).</summary>
        public Guid Attachment { get; init; }

        /// <summary>The audit event (globalSeq) of the referral's submission, in a signed log head.</summary>
        public long SubmissionEvent { get; init; }
    }

    private sealed record Case(string Name, Func<World, HttpRequestMessage> Request, string Expected, string? UserExpected = null)
    {
        public string[] Statuses()
        {
            var statuses = Expected.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return [.. statuses, UserExpected ?? statuses[0]];
        }
    }

    private static HttpRequestMessage Get(string path) => new(HttpMethod.Get, path);

    private static HttpRequestMessage Send(HttpMethod method, string path, object? body = null, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return request;
    }

    /// <summary>Expected status per actor, in the order of <see cref="Actors"/>.</summary>
    private static readonly Case[] Cases =
    [
        // The guardian's centre (observer) may refer the child it is guardian of onwards by personId; nobody else outside
        // the person's referrals can name them.
        //                                                                                                   ref  sup  rcv  obs  out  aud  net  rad  oad
        new("GET referral", w => Get($"/api/v1/referrals/{w.Referral}"),                                     "200 200 200 200 404 403 403 403 403"),
        new("GET timeline", w => Get($"/api/v1/referrals/{w.Referral}/timeline"),                            "200 200 200 200 404 403 403 403 403"),
        new("GET notes", w => Get($"/api/v1/referrals/{w.Referral}/notes"),                                  "200 200 200 403 404 403 403 403 403"),
        new("POST note", w => Send(HttpMethod.Post, $"/api/v1/referrals/{w.Referral}/notes", new { text = "n" }), "201 201 201 403 404 403 403 403 403"),
        new("POST accept (stale)", w => Send(HttpMethod.Post, $"/api/v1/referrals/{w.Referral}/accept", null, "\"999\""), "412 412 412 412 404 403 403 403 403"),
        new("POST withdraw (stale)", w => Send(HttpMethod.Post, $"/api/v1/referrals/{w.Referral}/withdraw", new { reason = "r" }, "\"999\""), "412 412 412 412 404 403 403 403 403"),
        new("POST step (stale)", w => Send(HttpMethod.Post, $"/api/v1/referrals/{w.Referral}/steps/intake", new { note = "n" }, "\"999\""), "412 412 412 412 404 403 403 403 403"),
        new("POST override-review", w => Send(HttpMethod.Post, $"/api/v1/referrals/{w.Referral}/override-review", new { approved = true }), "403 409 403 403 403 403 403 403 403"),
        // Only the child's guardian centre (the observer) confirms the consent claimed in its name.
        new("POST guardian-confirmation", w => Send(HttpMethod.Post, $"/api/v1/referrals/{w.Referral}/guardian-confirmation", new { confirmed = true }),
                                                                                                              "403 403 403 200 404 403 403 403 403"),
        new("GET escalated box", w => Get("/api/v1/referrals?box=escalated"),                               "200 200 200 200 200 403 403 403 403"),
        // Issue 17: person search answers every caseworker role (with what it may see: see the list test); others may not search.
        new("GET persons search", w => Get("/api/v1/persons?q=Nazari"),                                     "200 200 200 200 200 403 403 403 403"),
        new("POST persons matches", w => Send(HttpMethod.Post, "/api/v1/persons/matches", new { givenName = "Amir", familyName = "Nazari" }),
                                                                                                              "200 200 200 200 200 403 403 403 403"),
        new("GET referral counts", w => Get("/api/v1/referrals/counts?box=inbox&q=Nazari"),                  "200 200 200 200 200 403 403 403 403"),
        new("GET pending reviews", w => Get("/api/v1/referrals?box=outbox&pendingReview=true"),             "200 200 200 200 200 403 403 403 403"),
        new("GET person", w => Get($"/api/v1/persons/{w.Person}"),                                           "200 200 200 200 404 403 403 403 403"),
        // Documents are the parties' only (issue 17): an observer is told so (403, as for notes), an outsider sees no referral.
        new("GET attachments", w => Get($"/api/v1/referrals/{w.Referral}/attachments"),                      "200 200 200 403 404 403 403 403 403"),
        new("GET attachment", w => Get($"/api/v1/referrals/{w.Referral}/attachments/{w.Attachment}"),        "200 200 200 403 404 403 403 403 403"),
        new("POST attachment", w => Attachments.AttachmentsApi.Raw(w.Referral, Attachments.AttachmentsApi.Pdf(200)), "201 201 201 403 404 403 403 403 403"),
        new("GET consents", w => Get($"/api/v1/persons/{w.Person}/consents"),                                "200 200 200 200 404 403 403 403 403"),
        new("GET inbox", w => Get("/api/v1/referrals?box=inbox"),                                            "200 200 200 200 200 403 403 403 403"),
        new("GET organisation", w => Get($"/api/v1/organisations/{w.Referrer}"),                              "200 200 200 200 200 200 200 200 200"),
        new("PATCH organisation", w => Send(HttpMethod.Patch, $"/api/v1/organisations/{w.Referrer}", new { capacity = 7 }), "403 403 403 403 403 403 200 200 404"),
        new("GET api keys", w => Get($"/api/v1/organisations/{w.Referrer}/api-keys"),                        "403 403 403 403 403 403 200 200 404"),
        // The network admin never grants a role that reads personal data (it makes only an organisation's first org_admin).
        new("POST api key", w => Send(HttpMethod.Post, $"/api/v1/organisations/{w.Outsider}/api-keys", new { name = "x", roles = new[] { "caseworker" } }), "403 403 403 403 403 403 403 404 201"),
        // Issue 16: people are managed by their own organisation's admin only; a session is only the cookie's.
        new("GET users", w => Get($"/api/v1/organisations/{w.Referrer}/users"),                             "403 403 403 403 403 403 403 200 404"),
        new("GET user", w => Get($"/api/v1/organisations/{w.Referrer}/users/{w.User}"),                      "403 403 403 403 403 403 403 200 404"),
        new("POST user", w => Send(HttpMethod.Post, $"/api/v1/organisations/{w.Referrer}/users",
            new { username = "m" + Guid.NewGuid().ToString("N")[..10], displayName = "M", roles = new[] { "caseworker" } }), "403 403 403 403 403 403 403 201 404"),
        new("PATCH user", w => Send(HttpMethod.Patch, $"/api/v1/organisations/{w.Referrer}/users/{w.User}", new { displayName = "N" }),
                                                                                                              "403 403 403 403 403 403 403 200 404"),
        new("POST user reset", w => Send(HttpMethod.Post, $"/api/v1/organisations/{w.Referrer}/users/{w.User}/reset"), "403 403 403 403 403 403 403 200 404"),
        new("DELETE user sessions", w => Send(HttpMethod.Delete, $"/api/v1/organisations/{w.Referrer}/users/{w.User}/sessions"),
                                                                                                              "404 404 404 404 404 404 403 200 404"),
        new("GET session", w => Get("/api/v1/session"),                                                      "404 404 404 404 404 404 403 404 404", "200"),
        // Only an access token of an organisation's own identity provider is exchanged for a session: no key, no cookie.
        new("POST session provider", w => Send(HttpMethod.Post, "/api/v1/session/provider"),               "403 403 403 403 403 403 403 403 403"),
        new("GET session providers", w => Get("/api/v1/session/providers"),                                 "200 200 200 200 200 200 200 200 200"),
        new("GET webhook", w => Get($"/api/v1/webhooks/{w.Webhook}"),                                        "403 403 403 403 403 403 403 200 404"),
        new("GET webhooks", w => Get("/api/v1/webhooks"),                                                    "403 403 403 403 403 403 403 200 200"),
        new("POST protocol", w => Send(HttpMethod.Post, "/api/v1/protocols", new { code = "x" }),            "403 403 403 403 403 403 400 403 403"),
        new("GET statistics", w => Get("/api/v1/statistics/referrals?groupBy=service&period=2026-11"),                      "200 200 200 200 200 200 200 200 200"),
        // Performance indicators: coordinators and auditors network-wide, an organisation's admin or supervisor for itself; not caseworkers.
        new("GET indicators", w => Get("/api/v1/reports/indicators?groupBy=organisation&period=2026-11"),                   "403 200 403 403 403 200 200 200 200"),
        new("GET indicators export", w => Get("/api/v1/reports/indicators?groupBy=service&period=2026-Q4&format=xlsx"),     "403 200 403 403 403 200 200 200 200"),
        // The transparency log is hashes and sizes: every role reads it. A receipt only for the organisation that acted, and auditors.
        new("GET audit log", w => Get("/api/v1/audit/log"),                                                  "200 200 200 200 200 200 200 200 200"),
        new("GET log checkpoint", w => Get("/api/v1/audit/log/checkpoint"),                                  "200 200 200 200 200 200 200 200 200"),
        new("GET inclusion proof", w => Get("/api/v1/audit/log/proof/inclusion?index=0&size=1"),             "200 200 200 200 200 200 200 200 200"),
        new("GET consistency proof", w => Get("/api/v1/audit/log/proof/consistency?from=1&to=1"),           "200 200 200 200 200 200 200 200 200"),
        new("GET receipt", w => Get($"/api/v1/audit/receipts/{w.SubmissionEvent}"),                          "200 200 404 404 404 200 404 200 404"),
        new("POST referral naming another's person", w => Send(HttpMethod.Post, "/api/v1/referrals", new
        {
            receiverOrganisationId = w.Receiver, services = new[] { "legal_aid" }, urgency = "routine", reason = "r", personId = w.Person,
            consent = new { givenBy = "guardian", method = "written" },
        }),                                                                                                   "201 201 422 201 422 403 403 403 403"),
        // Issue 17: only a supervisor of the owning organisation merges (here into a person nobody has: 404 past the role
        // gate); only an admin of the owning organisation, or the network admin, undoes (here a person not merged: 409).
        new("POST person merge", w => Send(HttpMethod.Post, $"/api/v1/persons/{w.Person}/merge", new { duplicateOf = Guid.CreateVersion7() }),
                                                                                                              "403 404 403 403 403 403 403 403 403"),
        new("POST person merge undo", w => Send(HttpMethod.Post, $"/api/v1/persons/{w.Person}/merge/undo", new { reason = "r" }),
                                                                                                              "403 403 403 403 403 403 409 409 404"),
        // Last, because it erases the person: only the network admin or its owning organisation's admin may (the latter,
        // coming second, finds it erased already: 409, not 404).
        new("POST erasure", w => Send(HttpMethod.Post, $"/api/v1/persons/{w.Person}/erasure", new { reason = "test" }), "403 403 403 403 403 403 200 409 404"),
    ];

    [Fact]
    public async Task Every_route_role_and_relation_gets_the_expected_status()
    {
        var world = await WorldAsync();
        var mismatches = new List<string>();
        var checkedCells = 0;
        foreach (var @case in Cases)
        {
            var expected = @case.Statuses();
            Assert.Equal(Actors.Length, expected.Length);
            for (var i = 0; i < Actors.Length; i++)
            {
                using var request = @case.Request(world);
                using var response = await world.Clients[Actors[i]].SendAsync(request);
                checkedCells++;
                if ((int)response.StatusCode != int.Parse(expected[i]))
                    mismatches.Add($"{@case.Name} as {Actors[i]}: expected {expected[i]}, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                else if ((int)response.StatusCode >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                    mismatches.Add($"{@case.Name} as {Actors[i]}: {(int)response.StatusCode} is not problem+json");
            }
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {checkedCells} cases failed:\n" + string.Join('\n', mismatches));
        Assert.True(checkedCells >= 170, $"only {checkedCells} cases checked");
    }

    [Fact]
    public async Task Lists_never_carry_another_organisations_referrals()
    {
        var world = await WorldAsync();
        var outsider = world.Clients["outsider"];
        foreach (var box in new[] { "inbox", "outbox", "observing" })
        {
            var page = await outsider.GetFromJsonAsync<JsonObject>($"/api/v1/referrals?box={box}&limit=100");
            Assert.DoesNotContain(page!["items"]!.AsArray(), i => i!["id"]!.GetValue<Guid>() == world.Referral);
        }
        var observing = await world.Clients["observer"].GetFromJsonAsync<JsonObject>("/api/v1/referrals?box=observing&limit=100");
        Assert.Contains(observing!["items"]!.AsArray(), i => i!["id"]!.GetValue<Guid>() == world.Referral);
        // Issue 17: the blind-index search finds the child for the parties and the observer, never for the outsider.
        foreach (var actor in new[] { "referrer", "receiver", "observer" })
        {
            var found = await world.Clients[actor].GetFromJsonAsync<JsonObject>("/api/v1/persons?q=Nazari&limit=100");
            Assert.Contains(found!["items"]!.AsArray(), i => i!["id"]!.GetValue<Guid>() == world.Person);
        }
        var searched = await outsider.GetFromJsonAsync<JsonObject>("/api/v1/persons?q=Nazari&limit=100");
        Assert.DoesNotContain(searched!["items"]!.AsArray(), i => i!["id"]!.GetValue<Guid>() == world.Person);
        foreach (var box in new[] { "inbox", "outbox", "observing" })
        {
            var page = await outsider.GetFromJsonAsync<JsonObject>($"/api/v1/referrals?box={box}&q=Nazari&limit=100");
            Assert.DoesNotContain(page!["items"]!.AsArray(), i => i!["id"]!.GetValue<Guid>() == world.Referral);
        }
        var matched = await outsider.PostAsJsonAsync("/api/v1/persons/matches", new { givenName = "Amir", familyName = "Nazari", birthYear = 2012 });
        Assert.Empty((await matched.Content.ReadFromJsonAsync<JsonObject>())!["items"]!.AsArray());
        var observed = await world.Clients["observer"].PostAsJsonAsync("/api/v1/persons/matches", new { givenName = "Amir", familyName = "Nazari", birthYear = 2012 });
        Assert.Contains((await observed.Content.ReadFromJsonAsync<JsonObject>())!["items"]!.AsArray(), i => i!["personId"]!.GetValue<Guid>() == world.Person);
        Assert.Equal(0, (await outsider.GetFromJsonAsync<JsonObject>("/api/v1/referrals/counts?q=Nazari"))!["inbox"]!.GetValue<long>());
        var webhooks = (await world.Clients["outadmin"].GetFromJsonAsync<JsonObject>("/api/v1/webhooks"))!["items"]!.AsArray();
        Assert.DoesNotContain(webhooks!, h => h!["id"]!.GetValue<Guid>() == world.Webhook);
    }

    private async Task<World> WorldAsync()
    {
        var network = new TestNetwork(fixture);
        var guardian = await network.OrganisationAsync("centre_for_social_work");
        var referrer = await network.OrganisationAsync("youth_office");
        var receiver = await network.OrganisationAsync("ngo");
        var outsider = await network.OrganisationAsync("ngo");
        var child = TestNetwork.Person("Amir", "Nazari", birthYear: 2012, vulnerabilities: ["unaccompanied_child"], guardian: guardian.Id);
        var body = new
        {
            receiverOrganisationId = receiver.Id, services = new[] { "legal_aid" }, urgency = "urgent", reason = "Needs a lawyer for the asylum claim",
            person = child, consent = new { givenBy = "guardian", method = "written" },
        };
        var referral = await network.SubmitAsync(referrer, receiver, body);
        Assert.Equal("child-protection", referral["protocolCode"]!.GetValue<string>());

        var refAdminKey = await network.KeyAsync(referrer.Id, "org_admin");
        var clients = new Dictionary<string, HttpClient>
        {
            ["referrer"] = referrer.Caseworker,
            ["supervisor"] = fixture.Client(await network.KeyAsync(referrer.Id, "supervisor")),
            ["receiver"] = receiver.Caseworker,
            ["observer"] = guardian.Caseworker,
            ["outsider"] = outsider.Caseworker,
            ["auditor"] = fixture.Client(await network.KeyAsync(outsider.Id, "auditor")),
            ["netadmin"] = fixture.Admin(),
            ["refadmin"] = fixture.Client(refAdminKey),
            ["outadmin"] = fixture.Client(await network.KeyAsync(outsider.Id, "org_admin")),
            ["refuser"] = (await fixture.SignedInUserAsync(network, referrer.Id, "caseworker")).Client,
        };
        var other = await clients["refadmin"].CreateUserAsync(referrer.Id, ["caseworker"]);
        var attachment = await Attachments.AttachmentsApi.UploadAsync(referrer.Caseworker, referral["id"]!.GetValue<Guid>(), Attachments.AttachmentsApi.Pdf(2_000));
        var webhook = await clients["refadmin"].PostAsJsonAsync("/api/v1/webhooks", new { url = "http://127.0.0.1:9/hooks/rn", events = Array.Empty<string>() });
        await TestNetwork.Expect(webhook, HttpStatusCode.Created);
        var webhookId = (await webhook.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
        // Sign a log head over the submission, as the checkpointer would, so its receipt is ready.
        await fixture.Factory.Services.GetRequiredService<LogCheckpointWriter>().RunAsync(CancellationToken.None);
        await using var connection = await fixture.OpenAsync();
        var submission = await connection.ExecuteScalarAsync<long>("SELECT global_seq FROM audit_events WHERE stream_id = @Stream AND seq = 1",
            new { Stream = $"referral/{referral["id"]!.GetValue<Guid>()}" });
        return new World(referrer.Id, receiver.Id, guardian.Id, outsider.Id, referral["id"]!.GetValue<Guid>(), referral["person"]!["id"]!.GetValue<Guid>(),
            webhookId, clients) { SubmissionEvent = submission, User = other["id"]!.GetValue<Guid>(), Attachment = attachment["id"]!.GetValue<Guid>() };
    }
}

/// <summary>Webhook subscriptions to a loopback receiver are allowed here, so one can be made through the API.</summary>
public sealed class IsolationSqliteFixture : SqliteApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" };
}

public sealed class IsolationPostgresFixture : PostgresApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" };
}

public sealed class TenantIsolationMatrixTests_Sqlite(IsolationSqliteFixture fixture) : TenantIsolationMatrixTests(fixture), IClassFixture<IsolationSqliteFixture>;

[Trait("Database", "Postgres")]
public sealed class TenantIsolationMatrixTests_Postgres(IsolationPostgresFixture fixture) : TenantIsolationMatrixTests(fixture), IClassFixture<IsolationPostgresFixture>;
