using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Lifecycle;
using ReferralNetwork.Api.Tests.People;
using ReferralNetwork.Api.Tests.Webhooks;

namespace ReferralNetwork.Api.Tests.Security;

/// <summary>
/// Regressions of the security review (issue 14), each as the review found it: a request that used to succeed where it
/// must not. Every test here failed before its fix. (The fixture lets webhooks reach a receiver on 127.0.0.1.)
/// </summary>
public abstract class SecurityReviewTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);
    private readonly WebhookTestApi _webhooks = new(fixture);

    private static HttpRequestMessage Accept(Guid referral, string etag, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{referral}/accept");
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        return request;
    }

    private static HttpRequestMessage Submit(object body, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals")
        {
            Content = new StringContent(JsonSerializer.Serialize(body, TestNetwork.Json), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        return request;
    }

    // ---- 2. Idempotent replays are answered only to the principal that made the request ---------------------------

    [Fact]
    public async Task Another_key_of_the_organisation_replaying_an_idempotent_accept_is_refused_and_does_not_get_the_referral()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var referral = LifecycleApi.IdOf(await _network.SubmitAsync(referrer, receiver, TestNetwork.Referral(receiver.Id, reason: "Reason-only-for-parties-5521")));
        var (_, etag) = await receiver.Caseworker.ReadAsync(referral);
        var key = Guid.NewGuid().ToString();
        var accepted = await receiver.Caseworker.SendAsync(Accept(referral, etag, key));
        await TestNetwork.Expect(accepted, HttpStatusCode.OK);

        var orgAdmin = fixture.Client(await _network.KeyAsync(receiver.Id, "org_admin"));
        var auditor = fixture.Client(await _network.KeyAsync(receiver.Id, "auditor"));
        var otherCaseworker = fixture.Client(await _network.KeyAsync(receiver.Id, "caseworker"));
        Assert.Equal(HttpStatusCode.Forbidden, (await orgAdmin.GetAsync($"/api/v1/referrals/{referral}")).StatusCode);
        var before = await fixture.RowCountsAsync();
        // A key whose role may not accept at all is refused by the role check before the key is looked at (403); a key
        // that may accept meets the key's owner (422). Neither gets the stored answer.
        foreach (var (other, expected) in new[] { (orgAdmin, HttpStatusCode.Forbidden), (auditor, HttpStatusCode.Forbidden), (otherCaseworker, HttpStatusCode.UnprocessableEntity) })
        {
            var replay = await other.SendAsync(Accept(referral, etag, key));
            var text = await replay.Content.ReadAsStringAsync();
            Assert.Equal(expected, replay.StatusCode);
            if (expected == HttpStatusCode.UnprocessableEntity) Assert.Equal("idempotency.key_reused", JsonNode.Parse(text)!["rule"]!.GetValue<string>());
            Assert.DoesNotContain("Reason-only-for-parties-5521", text);
            Assert.False(replay.Headers.Contains("Idempotent-Replayed"));
        }
        Assert.Equal(before, await fixture.RowCountsAsync());

        // The key that made the request still gets its answer again.
        var own = await receiver.Caseworker.SendAsync(Accept(referral, etag, key));
        await TestNetwork.Expect(own, HttpStatusCode.OK);
        Assert.True(own.Headers.Contains("Idempotent-Replayed"));
        Assert.Contains("Reason-only-for-parties-5521", await own.Content.ReadAsStringAsync());
    }

    // ---- 5. A deactivated organisation stops working until it is reactivated ---------------------------------------

    [Fact]
    public async Task A_deactivated_organisations_keys_get_401_organisation_inactive_and_its_webhooks_wait_for_reactivation()
    {
        await using var receiver = await WebhookReceiver.StartAsync(fixture.Time);
        var referrer = await _network.OrganisationAsync();
        var ngo = await _network.OrganisationAsync();
        var partner = await _webhooks.ClientWithRoleAsync(ngo.Id, "partner_system");
        var orgAdmin = await _webhooks.ClientWithRoleAsync(ngo.Id, "org_admin");
        await _webhooks.SubscribeAsync(partner, receiver.Url);
        var referral = LifecycleApi.IdOf(await _network.SubmitAsync(referrer, ngo)); // queued before the deactivation

        await TestNetwork.Expect(await fixture.Admin().PatchAsJsonAsync($"/api/v1/organisations/{ngo.Id}", new { active = false }), HttpStatusCode.OK);
        var before = await fixture.RowCountsAsync();
        var refused = new List<HttpResponseMessage>
        {
            await ngo.Caseworker.GetAsync("/api/v1/referrals?box=inbox"),
            await ngo.Caseworker.PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(referrer.Id)),
            await partner.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url }),
            await orgAdmin.PostAsJsonAsync($"/api/v1/organisations/{ngo.Id}/api-keys", new { name = "x", roles = new[] { "caseworker" } }),
            await orgAdmin.GetAsync("/api/v1/me"),
        };
        foreach (var response in refused)
        {
            var problem = await LifecycleApi.ProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.Equal("organisation_inactive", problem["reason"]!.GetValue<string>());
        }
        Assert.Equal(before, await fixture.RowCountsAsync());

        // Its webhooks stop: nothing is sent (not even what happens meanwhile), and no retry is used up.
        await referrer.Caseworker.MoveAsync(referral, "withdraw", new { reason = "Found help elsewhere" });
        await _webhooks.DispatchAsync();
        Assert.Empty(receiver.Received);
        Assert.Equal(0, await _webhooks.CountAsync("SELECT COUNT(*) FROM webhook_attempts"));

        // Reactivated: the keys work again and what waited goes out.
        await TestNetwork.Expect(await fixture.Admin().PatchAsJsonAsync($"/api/v1/organisations/{ngo.Id}", new { active = true }), HttpStatusCode.OK);
        await TestNetwork.Expect(await ngo.Caseworker.GetAsync("/api/v1/referrals?box=inbox"), HttpStatusCode.OK);
        await _webhooks.DispatchAsync();
        Assert.Equal(2, receiver.Received.Count);
    }

    [Fact]
    public async Task The_network_admin_cannot_deactivate_its_own_organisation()
    {
        var me = await fixture.Admin().GetFromJsonAsync<JsonObject>("/api/v1/me");
        var own = me!["organisation"]!["id"]!.GetValue<Guid>();
        var response = await fixture.Admin().PatchAsJsonAsync($"/api/v1/organisations/{own}", new { active = false });
        Assert.Equal("organisation.self_deactivation", (await LifecycleApi.ProblemAsync(response, HttpStatusCode.UnprocessableEntity))["rule"]!.GetValue<string>());
        await TestNetwork.Expect(await fixture.Admin().GetAsync("/api/v1/me"), HttpStatusCode.OK);
    }

    // ---- 6. Erasure purges the stored answers about the person ----------------------------------------------------

    [Fact]
    public async Task After_erasure_replaying_the_submit_or_the_accept_is_410_and_returns_neither_reason_nor_initials()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var body = TestNetwork.Referral(receiver.Id, TestNetwork.Person("Quirina", "Zelenović"), reason: "Reason-to-erase-8812");
        var submitKey = Guid.NewGuid().ToString();
        var submitted = await referrer.Caseworker.SendAsync(Submit(body, submitKey));
        await TestNetwork.Expect(submitted, HttpStatusCode.Created);
        var referral = (await submitted.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = LifecycleApi.IdOf(referral);
        var (_, etag) = await receiver.Caseworker.ReadAsync(id);
        var acceptKey = Guid.NewGuid().ToString();
        await TestNetwork.Expect(await receiver.Caseworker.SendAsync(Accept(id, etag, acceptKey)), HttpStatusCode.OK);
        var replayed = await referrer.Caseworker.SendAsync(Submit(body, submitKey));
        Assert.Contains("Reason-to-erase-8812", await replayed.Content.ReadAsStringAsync());

        var orgAdmin = fixture.Client(await _network.KeyAsync(referrer.Id, "org_admin"));
        await TestNetwork.Expect(await orgAdmin.PostAsJsonAsync($"/api/v1/persons/{referral["person"]!.Id()}/erasure", new { reason = "art. 17" }), HttpStatusCode.OK);
        await using (var connection = await fixture.OpenAsync())
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM idempotency_keys WHERE person_id = @Id AND response_body IS NOT NULL", new { Id = referral["person"]!.Id() }));

        var before = await fixture.RowCountsAsync();
        foreach (var (client, request) in new[] { (referrer.Caseworker, Submit(body, submitKey)), (receiver.Caseworker, Accept(id, etag, acceptKey)) })
        {
            var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
            Assert.Equal("idempotency.answer_erased", JsonNode.Parse(text)!["rule"]!.GetValue<string>());
            Assert.DoesNotContain("Reason-to-erase-8812", text);
            Assert.DoesNotContain("Q.Z.", text);
        }
        // Not run again either: no second referral, no second person.
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    // ---- 8. Security headers on every answer, no-store on every API answer ---------------------------------------

    [Fact]
    public async Task Error_answers_keep_the_security_headers_and_every_api_answer_is_no_store()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var referral = await _network.SubmitAsync(referrer, receiver);
        var id = LifecycleApi.IdOf(referral);
        var orgAdmin = fixture.Client(await _network.KeyAsync(referrer.Id, "org_admin"));
        using var invalidJson = new StringContent("{", Encoding.UTF8, "application/json");
        var answers = new (string What, HttpResponseMessage Response)[]
        {
            ("400 from the exception handler", await referrer.Caseworker.PostAsync("/api/v1/referrals", invalidJson)),
            ("400 validation", await referrer.Caseworker.PostAsJsonAsync("/api/v1/referrals", new { })),
            ("403", await orgAdmin.GetAsync($"/api/v1/referrals/{id}")),
            ("404", await referrer.Caseworker.GetAsync($"/api/v1/referrals/{Guid.NewGuid()}")),
            ("401", await fixture.Client().GetAsync("/api/v1/me")),
            ("412", await receiver.Caseworker.ActAsync(id, "accept", "\"999\"")),
            ("identity", await referrer.Caseworker.GetAsync($"/api/v1/persons/{referral["person"]!.Id()}")),
            ("referral with its reason", await receiver.Caseworker.GetAsync($"/api/v1/referrals/{id}")),
            ("api key creation", await orgAdmin.PostAsJsonAsync($"/api/v1/organisations/{referrer.Id}/api-keys", new { name = "k", roles = new[] { "caseworker" } })),
            ("webhook secret", await orgAdmin.PostAsJsonAsync("/api/v1/webhooks", new { url = "http://127.0.0.1:9/hook" })),
        };
        var key = Guid.NewGuid().ToString();
        var body = TestNetwork.Referral(receiver.Id);
        await TestNetwork.Expect(await referrer.Caseworker.SendAsync(Submit(body, key)), HttpStatusCode.Created);
        var replay = await referrer.Caseworker.SendAsync(Submit(body, key));
        Assert.True(replay.Headers.Contains("Idempotent-Replayed"));
        foreach (var (what, response) in answers.Append(("idempotent replay", replay)))
        {
            Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var nosniff) && nosniff.Single() == "nosniff", $"{what}: no nosniff");
            Assert.True(response.Headers.TryGetValues("Referrer-Policy", out var referrerPolicy) && referrerPolicy.Single() == "no-referrer", $"{what}: no Referrer-Policy");
            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{what}: Cache-Control is '{response.Headers.CacheControl}'");
            Assert.False(response.Headers.Contains("Pragma"), $"{what}: Pragma");
        }
    }

    // ---- 9. Keys may expire ---------------------------------------------------------------------------------------

    [Fact]
    public async Task A_key_with_expiresAt_gets_401_key_expired_from_that_instant()
    {
        var organisation = await _network.OrganisationAsync();
        var orgAdmin = fixture.Client(await _network.OrganisationAdminAsync(organisation.Id));
        var expiresAt = fixture.Time.GetUtcNow().AddHours(1);
        var created = await orgAdmin.PostAsJsonAsync($"/api/v1/organisations/{organisation.Id}/api-keys", new { name = "temporary", roles = new[] { "caseworker" }, expiresAt });
        await TestNetwork.Expect(created, HttpStatusCode.Created);
        var view = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(expiresAt, view["expiresAt"]!.GetValue<DateTimeOffset>());
        var listed = (await orgAdmin.GetFromJsonAsync<JsonObject>($"/api/v1/organisations/{organisation.Id}/api-keys"))!["items"]!.AsArray();
        Assert.Contains(listed!, k => k!["id"]!.GetValue<Guid>() == view.Id() && k["expiresAt"]!.GetValue<DateTimeOffset>() == expiresAt);
        var temporary = fixture.Client(view["key"]!.GetValue<string>());
        await TestNetwork.Expect(await temporary.GetAsync("/api/v1/me"), HttpStatusCode.OK);

        fixture.Time.Advance(TimeSpan.FromHours(1));
        var expired = await LifecycleApi.ProblemAsync(await temporary.GetAsync("/api/v1/me"), HttpStatusCode.Unauthorized);
        Assert.Equal("key_expired", expired["reason"]!.GetValue<string>());
        await TestNetwork.Expect(await organisation.Caseworker.GetAsync("/api/v1/me"), HttpStatusCode.OK);

        var before = await fixture.RowCountsAsync();
        foreach (var past in new object[] { fixture.Time.GetUtcNow().AddSeconds(-1), "9999-12-31T23:59:59Z" })
            await TestNetwork.Expect(await orgAdmin.PostAsJsonAsync($"/api/v1/organisations/{organisation.Id}/api-keys",
                new { name = "x", roles = new[] { "caseworker" }, expiresAt = past }), HttpStatusCode.BadRequest);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    // ---- 10. The network admin never mints itself a key that reads personal data -----------------------------------

    [Fact]
    public async Task The_network_admin_creates_only_an_organisations_first_org_admin_key_and_never_a_personal_data_role()
    {
        var me = await fixture.Admin().GetFromJsonAsync<JsonObject>("/api/v1/me");
        var coordinator = me!["organisation"]!["id"]!.GetValue<Guid>();
        var organisation = await CreateOrganisationAsync();
        var keys = $"/api/v1/organisations/{organisation}/api-keys";
        var before = await fixture.RowCountsAsync();
        foreach (var role in new[] { "caseworker", "supervisor", "partner_system" })
            await LifecycleApi.ProblemAsync(await fixture.Admin().PostAsJsonAsync(keys, new { name = "x", roles = new[] { role } }), HttpStatusCode.Forbidden);
        await LifecycleApi.ProblemAsync(await fixture.Admin().PostAsJsonAsync($"/api/v1/organisations/{coordinator}/api-keys",
            new { name = "x", roles = new[] { "caseworker" } }), HttpStatusCode.Forbidden);
        var mixed = await fixture.Admin().PostAsJsonAsync($"/api/v1/organisations/{coordinator}/api-keys", new { name = "x", roles = new[] { "network_admin", "caseworker" } });
        await LifecycleApi.ProblemAsync(mixed, HttpStatusCode.Forbidden);
        var withOrgAdmin = await fixture.Admin().PostAsJsonAsync($"/api/v1/organisations/{coordinator}/api-keys", new { name = "x", roles = new[] { "network_admin", "org_admin" } });
        Assert.Equal("api_key.network_admin_exclusive", (await LifecycleApi.ProblemAsync(withOrgAdmin, HttpStatusCode.UnprocessableEntity))["rule"]!.GetValue<string>());
        Assert.Equal(before, await fixture.RowCountsAsync());

        // The first org_admin, yes; a second one, no: from then on the organisation's own admins grant its keys.
        var first = await fixture.Admin().PostAsJsonAsync(keys, new { name = "first admin", roles = new[] { "org_admin" } });
        await TestNetwork.Expect(first, HttpStatusCode.Created);
        var second = await fixture.Admin().PostAsJsonAsync(keys, new { name = "second admin", roles = new[] { "org_admin" } });
        Assert.Equal("api_key.org_admin_exists", (await LifecycleApi.ProblemAsync(second, HttpStatusCode.UnprocessableEntity))["rule"]!.GetValue<string>());
        var firstKey = (await first.Content.ReadFromJsonAsync<JsonObject>())!;
        var orgAdmin = fixture.Client(firstKey["key"]!.GetValue<string>());
        await TestNetwork.Expect(await orgAdmin.PostAsJsonAsync(keys, new { name = "worker", roles = new[] { "caseworker" } }), HttpStatusCode.Created);
        await TestNetwork.Expect(await fixture.Admin().PostAsJsonAsync(keys, new { name = "audit", roles = new[] { "auditor" } }), HttpStatusCode.Created);
        // Not even after revoking the organisation's admin: the network admin cannot take an organisation over.
        await TestNetwork.Expect(await fixture.Admin().DeleteAsync($"/api/v1/api-keys/{firstKey.Id()}"), HttpStatusCode.OK);
        var takeover = await fixture.Admin().PostAsJsonAsync(keys, new { name = "replacement", roles = new[] { "org_admin" } });
        Assert.Equal("api_key.org_admin_exists", (await LifecycleApi.ProblemAsync(takeover, HttpStatusCode.UnprocessableEntity))["rule"]!.GetValue<string>());
    }

    private async Task<Guid> CreateOrganisationAsync()
    {
        var response = await fixture.Admin().PostAsJsonAsync("/api/v1/organisations", new
        {
            name = $"ngo {Guid.NewGuid():N}"[..30], kind = "ngo", municipality = "Beograd", services = new[] { "legal_aid" }, languages = new[] { "sr" },
        });
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!.Id();
    }

    // ---- 11. If-Match carries exactly one strong entity tag ------------------------------------------------------

    [Theory]
    [InlineData("\"1\", \"2\"")]
    [InlineData("\"2\",\"1\"")]
    [InlineData("*")]
    [InlineData("W/\"1\"")]
    [InlineData("1")]
    public async Task If_match_that_is_not_exactly_one_strong_tag_is_400_and_changes_nothing(string ifMatch)
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var id = LifecycleApi.IdOf(await _network.SubmitAsync(referrer, receiver));
        var before = await fixture.RowCountsAsync();
        var problem = await LifecycleApi.ProblemAsync(await receiver.Caseworker.ActAsync(id, "accept", ifMatch), HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["if-Match"] ?? problem["errors"]!["If-Match"]);
        Assert.Equal(before, await fixture.RowCountsAsync());
        Assert.Equal("requested", (await receiver.Caseworker.ReadAsync(id)).Referral["status"]!.GetValue<string>());
    }

    // ---- 12. Swagger only where OpenApi:Public says so ------------------------------------------------------------

    [Fact]
    public async Task Swagger_is_served_in_development_and_not_in_production_unless_openapi_public()
    {
        using var development = fixture.Factory.CreateClient();
        await TestNetwork.Expect(await development.GetAsync("/swagger/v1/swagger.json"), HttpStatusCode.OK);

        await using var production = fixture.Factory.WithWebHostBuilder(web => web.UseEnvironment("Production"));
        using var anonymous = production.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/swagger/v1/swagger.json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/swagger/index.html")).StatusCode);
        await TestNetwork.Expect(await anonymous.GetAsync("/health/live"), HttpStatusCode.OK);

        await using var published = fixture.Factory.WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Production");
            web.UseSetting("OpenApi:Public", "true");
        });
        using var reader = published.CreateClient();
        await TestNetwork.Expect(await reader.GetAsync("/swagger/v1/swagger.json"), HttpStatusCode.OK);
    }
}

public sealed class SecurityReviewTests_Sqlite(SqliteWebhookFixture fixture) : SecurityReviewTests(fixture), IClassFixture<SqliteWebhookFixture>;

[Trait("Database", "Postgres")]
public sealed class SecurityReviewTests_Postgres(PostgresWebhookFixture fixture) : SecurityReviewTests(fixture), IClassFixture<PostgresWebhookFixture>;
