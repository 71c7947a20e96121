using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Contract;

/// <summary>
/// Strict input (issue 15): an unknown member or a value of the wrong type is a 400 naming each path in <c>errors</c>,
/// every filter refuses a value it does not know and lists the ones it does, a malformed id names its parameter, and no
/// answer names a CLR type. Nothing is written by a refused request.
/// </summary>
public abstract class StrictInputTests(ApiFixture fixture)
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        // No CLR names: neither our namespaces nor the binder's "Nullable<Guid>"-style type names.
        Assert.DoesNotContain("ReferralNetwork.", text);
        Assert.DoesNotContain("System.", text);
        Assert.DoesNotContain("Nullable", text);
        Assert.DoesNotContain("Guid ", text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static JsonObject Errors(JsonObject problem) => problem["errors"]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"no errors in {problem}");

    [Fact]
    public async Task Unknown_members_are_each_named_and_nothing_is_written()
    {
        var network = new TestNetwork(fixture);
        var from = await network.OrganisationAsync("centre_for_social_work");
        var to = await network.OrganisationAsync();
        var before = await fixture.RowCountsAsync();
        var body = $$$"""
            {"receiverOrganisationId":"{{{to.Id}}}","services":["legal_aid"],"urgency":"urgent","reason":"Needs advice",
             "status":"accepted","id":"{{{Guid.NewGuid()}}}","version":7,
             "person":{"givenName":"Amina","familyName":"Hadžić","birthYear":1994,"sex":"female","nationality":"SY","languages":["ar"],
                       "legalStatus":"asylum_seeker","vulnerabilities":[],"externalRefs":["cms-1"]},
             "consent":{"givenBy":"person","method":"written","signedAt":"2026-11-01"}}
            """;
        var problem = await ProblemAsync(await from.Caseworker.PostAsync("/api/v1/referrals", Json(body)));

        var errors = Errors(problem);
        Assert.Equal(["consent.signedAt", "id", "person.externalRefs", "status", "version"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(before, await fixture.RowCountsAsync());
        // The same body without the strays is accepted: strictness refused only what was not part of the request.
        var clean = JsonNode.Parse(body)!.AsObject();
        foreach (var stray in new[] { "status", "id", "version" }) clean.Remove(stray);
        clean["person"]!.AsObject().Remove("externalRefs");
        clean["consent"]!.AsObject().Remove("signedAt");
        await TestNetwork.Expect(await from.Caseworker.PostAsync("/api/v1/referrals", Json(clean.ToJsonString())), HttpStatusCode.Created);
    }

    [Fact]
    public async Task Values_of_the_wrong_type_are_each_named_without_type_names()
    {
        var network = new TestNetwork(fixture);
        var from = await network.OrganisationAsync("centre_for_social_work");
        var before = await fixture.RowCountsAsync();
        var problem = await ProblemAsync(await from.Caseworker.PostAsync("/api/v1/referrals", Json("""
            {"receiverOrganisationId":"not-a-guid","services":"legal_aid","urgency":1,"reason":"x",
             "person":{"givenName":"A","familyName":"B","birthYear":"1994","sex":"female","languages":["ar",5]}}
            """)));

        var errors = Errors(problem);
        Assert.Equal(["person.birthYear", "person.languages[1]", "receiverOrganisationId", "services", "urgency"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Contains("UUID", errors["receiverOrganisationId"]![0]!.GetValue<string>());
        Assert.Contains("integer", errors["person.birthYear"]![0]!.GetValue<string>());
        Assert.Contains("array", errors["services"]![0]!.GetValue<string>());
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Every_body_refuses_an_unknown_member()
    {
        var network = new TestNetwork(fixture);
        var from = await network.OrganisationAsync("centre_for_social_work");
        var to = await network.OrganisationAsync();
        var referral = await network.SubmitAsync(from, to);
        var id = referral["id"]!.GetValue<Guid>();
        var person = referral["person"]!["id"]!.GetValue<Guid>();
        var orgAdmin = fixture.Client(await network.OrganisationAdminAsync(to.Id));
        var before = await fixture.RowCountsAsync();

        (HttpClient Client, HttpMethod Method, string Path)[] bodies =
        [
            (fixture.Admin(), HttpMethod.Post, "/api/v1/organisations"),
            (orgAdmin, HttpMethod.Patch, $"/api/v1/organisations/{to.Id}"),
            (orgAdmin, HttpMethod.Post, $"/api/v1/organisations/{to.Id}/api-keys"),
            (from.Caseworker, HttpMethod.Post, "/api/v1/referrals"),
            (from.Caseworker, HttpMethod.Post, "/api/v1/persons"),
            (from.Caseworker, HttpMethod.Post, $"/api/v1/persons/{person}/consents"),
            (to.Caseworker, HttpMethod.Post, $"/api/v1/referrals/{id}/notes"),
            (orgAdmin, HttpMethod.Post, "/api/v1/webhooks"),
            (fixture.Admin(), HttpMethod.Post, "/api/v1/protocols"),
            .. new[] { "acknowledge", "accept", "decline", "redirect", "start", "hold", "resume", "complete", "withdraw" }
                .Select(a => (a == "withdraw" ? from.Caseworker : to.Caseworker, HttpMethod.Post, $"/api/v1/referrals/{id}/{a}")),
            (to.Caseworker, HttpMethod.Post, $"/api/v1/referrals/{id}/steps/any-step"),
        ];
        foreach (var (client, method, path) in bodies)
        {
            var request = new HttpRequestMessage(method, path) { Content = Json("""{"misspeltMember":1}""") };
            request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
            var problem = await ProblemAsync(await client.SendAsync(request));
            Assert.True(Errors(problem).ContainsKey("misspeltMember"), $"{method} {path}: {problem}");
        }
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Actions_without_a_body_take_nothing_or_an_empty_object()
    {
        var network = new TestNetwork(fixture);
        var from = await network.OrganisationAsync("centre_for_social_work");
        var to = await network.OrganisationAsync();
        var id = (await network.SubmitAsync(from, to))["id"]!.GetValue<Guid>();

        var empty = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{id}/acknowledge");
        empty.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        await TestNetwork.Expect(await to.Caseworker.SendAsync(empty), HttpStatusCode.OK);
        var braces = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{id}/accept") { Content = Json("{}") };
        braces.Headers.TryAddWithoutValidation("If-Match", "\"2\"");
        await TestNetwork.Expect(await to.Caseworker.SendAsync(braces), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Broken_json_and_a_missing_body_are_problems_naming_the_body()
    {
        var network = new TestNetwork(fixture);
        var from = await network.OrganisationAsync("centre_for_social_work");
        var broken = Errors(await ProblemAsync(await from.Caseworker.PostAsync("/api/v1/referrals", Json("""{"receiverOrganisationId":"""))));
        Assert.Contains("not valid JSON", broken["body"]![0]!.GetValue<string>());
        var missing = Errors(await ProblemAsync(await from.Caseworker.PostAsync("/api/v1/referrals", Json(""))));
        Assert.True(missing.ContainsKey("body"), missing.ToJsonString());
    }

    [Fact]
    public async Task Malformed_ids_in_path_and_query_name_the_parameter()
    {
        var network = new TestNetwork(fixture);
        var from = await network.OrganisationAsync("centre_for_social_work");
        var auditor = fixture.Client(await network.KeyAsync(from.Id, "auditor"));

        Assert.True(Errors(await ProblemAsync(await from.Caseworker.GetAsync("/api/v1/referrals/not-a-guid"))).ContainsKey("id"));
        Assert.True(Errors(await ProblemAsync(await fixture.Admin().GetAsync("/api/v1/organisations/42/api-keys"))).ContainsKey("id"));
        var personId = Errors(await ProblemAsync(await auditor.GetAsync("/api/v1/audit/personal-data-access?personId=x")));
        Assert.Contains("UUID", personId["personId"]![0]!.GetValue<string>());
        Assert.True(Errors(await ProblemAsync(await from.Caseworker.GetAsync("/api/v1/referrals?box=inbox&limit=ten"))).ContainsKey("limit"));
    }

    [Fact]
    public async Task Every_filter_refuses_unknown_values_and_lists_the_allowed_ones()
    {
        var network = new TestNetwork(fixture);
        var from = await network.OrganisationAsync("centre_for_social_work");
        var auditor = fixture.Client(await network.KeyAsync(from.Id, "auditor"));

        (HttpClient Client, string Path, string Field, string Allowed)[] filters =
        [
            (from.Caseworker, "/api/v1/referrals?box=bogus", "box", "inbox"),
            (from.Caseworker, "/api/v1/referrals?box=inbox&status=bogus", "status", "in-progress"),
            (from.Caseworker, "/api/v1/referrals?box=inbox&urgency=bogus", "urgency", "emergency"),
            (from.Caseworker, "/api/v1/referrals?box=inbox&service=bogus", "service", "legal_aid"),
            (from.Caseworker, "/api/v1/organisations?service=bogus", "service", "legal_aid"),
            (from.Caseworker, "/api/v1/organisations?kind=bogus", "kind", "ngo"),
            (auditor, "/api/v1/audit/deadline-breaches?deadline=bogus", "deadline", "acknowledge"),
            (auditor, "/api/v1/statistics/referrals?groupBy=bogus&period=2026-11", "groupBy", "service"),
        ];
        foreach (var (client, path, field, allowed) in filters)
        {
            var errors = Errors(await ProblemAsync(await client.GetAsync(path)));
            Assert.True(errors.ContainsKey(field), $"{path}: {errors.ToJsonString()}");
            Assert.Contains(allowed, errors[field]![0]!.GetValue<string>());
        }
        // A known service is a filter, not an error.
        await TestNetwork.Expect(await from.Caseworker.GetAsync("/api/v1/referrals?box=inbox&service=legal_aid"), HttpStatusCode.OK);
    }

    [Theory]
    [InlineData(null, "The request is not valid.", "This member is not part of the request")]
    [InlineData("en", "The request is not valid.", "This member is not part of the request")]
    [InlineData("sr-Latn", "Zahtev nije ispravan.", "Ovo polje nije deo zahteva")]
    [InlineData("sr-Cyrl", "Захтев није исправан.", "Ово поље није део захтева")]
    [InlineData("sr-Latn-RS;q=0.9, en;q=0.5", "Zahtev nije ispravan.", "Ovo polje nije deo zahteva")]
    public async Task Problems_and_validation_messages_follow_accept_language(string? language, string title, string unknownMember)
    {
        var network = new TestNetwork(fixture);
        var from = await network.OrganisationAsync("centre_for_social_work");
        var to = await network.OrganisationAsync();
        var body = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(TestNetwork.Referral(to.Id, TestNetwork.Person(birthYear: 1700)), TestNetwork.Json))!.AsObject();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals") { Content = Json(body.ToJsonString()) };
        if (language is not null) request.Headers.TryAddWithoutValidation("Accept-Language", language);
        var unknown = await ProblemAsync(await from.Caseworker.SendAsync(CloneWith(request, body, "statuss")));
        Assert.Equal(title, unknown["title"]!.GetValue<string>());
        Assert.StartsWith(unknownMember, Errors(unknown)["statuss"]![0]!.GetValue<string>());

        // FluentValidation's own messages follow the same language; member names and codes stay English.
        var invalid = await ProblemAsync(await from.Caseworker.SendAsync(request));
        Assert.Equal(title, invalid["title"]!.GetValue<string>());
        var birthYear = Errors(invalid)["person.birthYear"]![0]!.GetValue<string>();
        Assert.Equal(language is null or "en", birthYear.Contains("must be between", StringComparison.Ordinal));
        if (language == "sr-Cyrl") Assert.Contains(birthYear, c => c is >= '\u0400' and <= '\u04FF');
    }

    /// <summary>Refusal details and the API's own validation messages follow Accept-Language too, with their values filled in.</summary>
    [Theory]
    [InlineData(null, "The referral was not found.", "A referral that is received cannot be given 'acknowledge'", "'soon' is not one of: emergency, urgent, routine.")]
    [InlineData("sr-Latn", "Upućivanje nije pronađeno.", "Na upućivanje u stanju received ne može se primeniti 'acknowledge'", "'soon' nije nijedna od vrednosti: emergency, urgent, routine.")]
    [InlineData("sr-Cyrl", "Упућивање није пронађено.", "На упућивање у стању received не може се применити 'acknowledge'", "'soon' није ниједна од вредности: emergency, urgent, routine.")]
    public async Task Refusals_are_said_in_the_callers_language_with_their_values(string? language, string notFound, string illegal, string notOneOf)
    {
        var network = new TestNetwork(fixture);
        var from = await network.OrganisationAsync("centre_for_social_work");
        var to = await network.OrganisationAsync();
        if (language is not null)
        {
            from.Caseworker.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
            to.Caseworker.DefaultRequestHeaders.AcceptLanguage.ParseAdd(language);
        }
        Assert.Equal(notFound, (await ProblemAsync(await to.Caseworker.GetAsync($"/api/v1/referrals/{Guid.NewGuid()}"), HttpStatusCode.NotFound))["detail"]!.GetValue<string>());

        var id = Lifecycle.LifecycleApi.IdOf(await network.SubmitAsync(from, to));
        await Lifecycle.LifecycleApi.MoveAsync(to.Caseworker, id, "acknowledge");
        var (_, etag) = await Lifecycle.LifecycleApi.ReadAsync(to.Caseworker, id);
        var refused = await ProblemAsync(await Lifecycle.LifecycleApi.ActAsync(to.Caseworker, id, "acknowledge", etag), HttpStatusCode.Conflict);
        Assert.StartsWith(illegal, refused["detail"]!.GetValue<string>());
        Assert.Contains("accept, decline, redirect", refused["detail"]!.GetValue<string>()); // the values, in English codes

        var body = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(TestNetwork.Referral(to.Id, TestNetwork.Person()), TestNetwork.Json))!.AsObject();
        body["urgency"] = "soon";
        var invalid = await ProblemAsync(await from.Caseworker.PostAsync("/api/v1/referrals", Json(body.ToJsonString())));
        var urgency = Errors(invalid)["urgency"]![0]!.GetValue<string>();
        Assert.True(urgency.StartsWith(notOneOf, StringComparison.Ordinal), urgency);
    }

    private static HttpRequestMessage CloneWith(HttpRequestMessage original, JsonObject body, string stray)
    {
        var copy = body.DeepClone().AsObject();
        copy[stray] = 1;
        var request = new HttpRequestMessage(original.Method, original.RequestUri) { Content = Json(copy.ToJsonString()) };
        foreach (var header in original.Headers) request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        return request;
    }

    [Fact]
    public async Task Every_list_has_the_same_shape()
    {
        var network = new TestNetwork(fixture);
        var org = await network.OrganisationAsync();
        var orgAdmin = fixture.Client(await network.OrganisationAdminAsync(org.Id));
        foreach (var (client, path) in new[]
                 {
                     (org.Caseworker, "/api/v1/services"), (org.Caseworker, "/api/v1/organisations"), (org.Caseworker, "/api/v1/protocols"),
                     (org.Caseworker, "/api/v1/referrals?box=inbox"), (orgAdmin, "/api/v1/webhooks"), (orgAdmin, $"/api/v1/organisations/{org.Id}/api-keys"),
                 })
        {
            var response = await client.GetAsync(path);
            await TestNetwork.Expect(response, HttpStatusCode.OK);
            var page = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
            Assert.True(page is JsonObject o && o["items"] is JsonArray && o.ContainsKey("nextCursor"), $"{path}: {page.ToJsonString()[..Math.Min(200, page.ToJsonString().Length)]}");
        }

        // api-keys pages by keyset like every other list: two keys a page, no key twice, all of them in the end.
        for (var i = 0; i < 3; i++) await network.KeyAsync(org.Id, "caseworker");
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = (await orgAdmin.GetFromJsonAsync<JsonObject>($"/api/v1/organisations/{org.Id}/api-keys?limit=2{(cursor is null ? "" : "&cursor=" + cursor)}"))!;
            Assert.True(page["items"]!.AsArray().Count <= 2);
            seen.AddRange(page["items"]!.AsArray().Select(k => k!["id"]!.GetValue<string>()));
            cursor = page["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);
        Assert.Equal(5, seen.Distinct().Count()); // the org admin, the first caseworker and three more
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }
}

public sealed class StrictInputTests_Sqlite(SqliteApiFixture fixture) : StrictInputTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class StrictInputTests_Postgres(PostgresApiFixture fixture) : StrictInputTests(fixture), IClassFixture<PostgresApiFixture>;
