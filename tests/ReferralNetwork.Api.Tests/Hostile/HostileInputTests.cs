using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Hostile;

/// <summary>
/// A generated corpus of hostile requests across the endpoints (CsCheck; the seed is printed on failure): no answer
/// is ever 5xx, every 4xx is problem+json, and a rejected request writes no row and appends no audit event.
/// </summary>
public abstract class HostileInputTests(ApiFixture fixture)
{
    private const int Requests = 10_000;

    /// <summary>Every endpoint a client can call, with the ids it needs filled in from a small real network.</summary>
    private static IReadOnlyList<(HttpMethod Method, string Path)> Endpoints(World w) =>
    [
        (HttpMethod.Get, "/api/v1/me"),
        (HttpMethod.Get, "/api/v1/services"),
        (HttpMethod.Get, "/api/v1/organisations"),
        (HttpMethod.Post, "/api/v1/organisations"),
        (HttpMethod.Get, $"/api/v1/organisations/{w.Own}"),
        (HttpMethod.Patch, $"/api/v1/organisations/{w.Own}"),
        (HttpMethod.Post, $"/api/v1/organisations/{w.Own}/api-keys"),
        (HttpMethod.Get, $"/api/v1/organisations/{w.Other}/api-keys"),
        (HttpMethod.Delete, $"/api/v1/api-keys/{Guid.NewGuid()}"),
        (HttpMethod.Post, "/api/v1/referrals"),
        (HttpMethod.Get, "/api/v1/referrals"),
        (HttpMethod.Get, $"/api/v1/referrals/{w.Referral}"),
        (HttpMethod.Get, $"/api/v1/persons/{w.Person}"),
        (HttpMethod.Post, $"/api/v1/referrals/{w.Referral}/accept"),
        (HttpMethod.Post, $"/api/v1/referrals/{w.Referral}/decline"),
        (HttpMethod.Post, $"/api/v1/referrals/{w.Referral}/complete"),
        (HttpMethod.Post, $"/api/v1/referrals/{w.Referral}/notes"),
        (HttpMethod.Get, $"/api/v1/referrals/{w.Referral}/timeline"),
        (HttpMethod.Post, $"/api/v1/referrals/{w.Referral}/attachments"),
        (HttpMethod.Get, $"/api/v1/referrals/{w.Referral}/attachments"),
        (HttpMethod.Get, $"/api/v1/referrals/{w.Referral}/attachments/{Guid.NewGuid()}"),
        (HttpMethod.Post, "/api/v1/persons"),
        (HttpMethod.Post, $"/api/v1/persons/{w.Person}/consents"),
        (HttpMethod.Post, $"/api/v1/persons/{w.Person}/erasure"),
        (HttpMethod.Post, "/api/v1/protocols"),
        (HttpMethod.Get, "/api/v1/protocols/child-protection/versions/999999999999"),
        (HttpMethod.Post, "/api/v1/webhooks"),
        (HttpMethod.Get, "/api/v1/audit/verify"),
        (HttpMethod.Get, "/api/v1/audit/deadline-breaches"),
        (HttpMethod.Get, "/api/v1/audit/activity"),
        (HttpMethod.Get, "/api/v1/audit/export"),
        (HttpMethod.Get, "/api/v1/statistics/referrals"),
        (HttpMethod.Get, "/api/v1/reports/indicators"),
    ];

    private sealed record World(Guid Own, Guid Other, Guid Referral, Guid Person, string[] Keys);

    /// <summary>Times at and beyond the edges of what .NET, the databases and the API accept (the review's 9999-12-31 among them).</summary>
    private static readonly string[] EdgeDates =
    [
        "0001-01-01", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00-14:00", "1899-12-31T23:59:59Z", "1900-01-01", "1969-12-31T23:59:59Z",
        "2038-01-19T03:14:08Z", "2999-12-31", "2999-12-31T23:59:59.999999Z", "3000-01-01", "9999-12-31", "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59+14:00", "10000-01-01", "-0001-01-01", "2026-02-30", "+002026-01-01",
    ];

    /// <summary>Each of them is inside the bounds every date parameter accepts (1900-01-01 up to 3000-01-01).</summary>
    private static bool WithinBounds(string date) => date is "1900-01-01" or "1969-12-31T23:59:59Z" or "2038-01-19T03:14:08Z" or "2999-12-31"
        or "2999-12-31T23:59:59.999999Z";

    private static readonly string[] Texts =
    [
        "", " ", "'; DROP TABLE referrals; --", "\" OR 1=1 --", "%00", "\0", "a\0b", "../../etc/passwd", "<script>alert(1)</script>",
        "Мирјана Петровић", "زينب الحسن", "مهدی رضایی", "Олена Шевченко", "𝕏🙂‍↔️", new string('x', 5000), "\u202Eevil", "\uFFFF", "\\u0000",
        "1e309", "-0", "NaN", "null", "true", "2026-13-45T99:99:99Z", .. EdgeDates,
    ];

    private static Gen<JsonNode?> Value(int depth) => depth <= 0
        ? Gen.OneOf<JsonNode?>(Gen.OneOf(Texts).Select(t => (JsonNode?)JsonValue.Create(t)), Gen.Long.Select(l => (JsonNode?)JsonValue.Create(l)),
            Gen.Double.Select(d => double.IsFinite(d) ? (JsonNode?)JsonValue.Create(d) : null), Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
            Gen.Const((JsonNode?)null), Gen.Guid.Select(g => (JsonNode?)JsonValue.Create(g)))
        : Gen.Frequency(
            (6, Value(0)),
            (1, Value(depth - 1).Array[0, 4].Select(a => (JsonNode?)new JsonArray(a.Select(n => n?.DeepClone()).ToArray()))),
            (2, Gen.Select(Gen.OneOf(Fields), Value(depth - 1)).Array[0, 6].Select(Object)));

    private static readonly string[] Fields =
    [
        "name", "kind", "municipality", "services", "languages", "receiverOrganisationId", "urgency", "reason", "person", "consent",
        "givenName", "familyName", "birthYear", "sex", "legalStatus", "vulnerabilities", "reasonCode", "note", "outcome", "text",
        "roles", "url", "events", "id", "status", "responsibleOrganisationId", "version", "hash", "prevHash", "seq", "createdAt", "code", "deadlines",
        "givenAt", "expiresAt", "dateOfBirth",
    ];

    private static JsonNode? Object((string Key, JsonNode? Value)[] pairs)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in pairs) obj[key] = value?.DeepClone();
        return obj;
    }

    /// <summary>The raw body bytes: JSON of random shapes, or something that is not JSON at all.</summary>
    private static readonly Gen<byte[]?> Body = Gen.Frequency(
        (8, Value(3).Select(n => (byte[]?)Encoding.UTF8.GetBytes(n?.ToJsonString() ?? "null"))),
        (1, Gen.Const((byte[]?)null)),
        (1, Gen.OneOf("{", "{\"name\":", "[1,2", "{\"a\":1}}", "\u00ff\u00fe", "{'single':'quotes'}", "{\"name\":\"x\",}").Select(s => (byte[]?)Encoding.UTF8.GetBytes(s))),
        (1, Gen.Byte.Array[1, 64].Select(b => (byte[]?)b)), // invalid UTF-8 and NUL bytes
        (1, Gen.Int[200, 400].Select(d => (byte[]?)Encoding.UTF8.GetBytes(new string('[', d) + new string(']', d)))), // deep nesting
        (1, Gen.Const((byte[]?)Encoding.UTF8.GetBytes("{\"services\":[" + string.Join(',', Enumerable.Repeat("\"legal_aid\"", 20_000)) + "]}"))));

    private static readonly Gen<string> Query = Gen.OneOf(
        "", "?box=inbox", "?box=inbox&limit=-1", "?box=inbox&limit=2147483648", "?box=inbox&cursor=%00%FF", "?box=inbox&cursor=AAAA",
        "?box=outbox&status=in-progress&urgency=emergency&service=legal_aid&overdue=true", "?box=%27%3B--", "?kind=ngo&q=%25%27", "?from=9999-99-99",
        "?groupBy=service&from=2026-01-01&to=2025-01-01", "?personId=not-a-guid", "?box=inbox&limit=1e3",
        "?groupBy=sex&to=9999-12-31", "?groupBy=ageBand&from=0001-01-01", "?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z",
        "?from=9999-12-31T23:59:59%2B14:00", "?to=0001-01-01T00:00:00-14:00&limit=1");

    private static readonly Gen<string?> HeaderValue = Gen.OneOf<string?>(null, null, "\"1\"", "W/\"1\"", "*", "\"999999999999999999999\"", "garbage", "\"\"", new string('k', 300), "ключ-☃");

    private readonly record struct Probe(int Endpoint, string Query, byte[]? Body, string ContentType, int Key, string? IfMatch, string? IdempotencyKey);

    [Fact]
    public async Task Hostile_requests_never_get_5xx_and_rejected_ones_write_nothing()
    {
        var network = new TestNetwork(fixture);
        var own = await network.OrganisationAsync("centre_for_social_work");
        var other = await network.OrganisationAsync("ngo");
        var referral = await network.SubmitAsync(own, other);
        var orgAdmin = await network.KeyAsync(own.Id, "org_admin");
        var auditor = await network.KeyAsync(other.Id, "caseworker");
        var world = new World(own.Id, other.Id, referral["id"]!.GetValue<Guid>(), referral["person"]!["id"]!.GetValue<Guid>(),
            [fixture.AdminKey, own.CaseworkerKey, orgAdmin, other.CaseworkerKey, auditor, "rn_" + new string('q', 43)]);
        var endpoints = Endpoints(world);

        var gen = Gen.Select(Gen.Int[0, endpoints.Count - 1], Query, Body, Gen.OneOf("application/json", "application/json", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"),
            Gen.Int[0, world.Keys.Length - 1], HeaderValue, HeaderValue)
            .Select((e, q, b, c, k, m, i) => new Probe(e, q, b, c, k, m, i));

        var failures = new List<string>();
        var rejected = 0;
        var client = fixture.Client();
        await using var connection = await fixture.OpenAsync();
        var snapshot = "SELECT " + string.Join(" || ',' || ", ApiFixture.Tables.Select(t => $"CAST((SELECT COUNT(*) FROM {t}) AS VARCHAR(20))"));
        await gen.SampleAsync(async probe =>
        {
            var (method, path) = endpoints[probe.Endpoint];
            using var request = new HttpRequestMessage(method, path + probe.Query);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", world.Keys[probe.Key]);
            if (probe.IfMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", probe.IfMatch);
            if (probe.IdempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", probe.IdempotencyKey);
            if (probe.Body is not null && method != HttpMethod.Get)
            {
                request.Content = new ByteArrayContent(probe.Body);
                request.Content.Headers.TryAddWithoutValidation("Content-Type", probe.ContentType);
            }
            var before = await connection.ExecuteScalarAsync<string>(snapshot);
            using var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            if (status >= 500) failures.Add($"{status} {method} {path}{probe.Query} body={Preview(probe.Body)}: {await response.Content.ReadAsStringAsync()}");
            else if (status >= 400)
            {
                rejected++;
                if (mediaType != "application/problem+json") failures.Add($"{status} without problem+json ({mediaType}) for {method} {path}{probe.Query}");
                var after = await connection.ExecuteScalarAsync<string>(snapshot);
                if (after != before) failures.Add($"{status} {method} {path}{probe.Query} changed row counts {before} -> {after}");
            }
            return failures.Count == 0;
        }, iter: Requests, threads: 1);

        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
        Assert.True(rejected > Requests / 2, $"only {rejected} of {Requests} requests were rejected: the corpus is not hostile enough");
    }

    /// <summary>
    /// Every date parameter of every route, at and beyond the edges: never a 5xx (the review found
    /// <c>GET /statistics/referrals?groupBy=sex&amp;to=9999-12-31</c> answered 500), out of bounds always 400, and a
    /// rejected request writes nothing.
    /// </summary>
    [Fact]
    public async Task Edge_dates_in_every_date_parameter_are_400_out_of_bounds_and_never_5xx()
    {
        var network = new TestNetwork(fixture);
        var own = await network.OrganisationAsync("centre_for_social_work");
        var other = await network.OrganisationAsync("ngo");
        var referral = await network.SubmitAsync(own, other);
        var person = referral["person"]!["id"]!.GetValue<Guid>();
        var auditor = await Audit.AuditTestKit.AuditorAsync(fixture, network);
        var orgAdmin = fixture.Client(await network.OrganisationAdminAsync(own.Id));
        var routes = new List<(HttpClient Client, Func<string, HttpRequestMessage> Request)>
        {
            // Statistics take whole months and quarters only: every date (and the old from/to) is a 400 there.
            (auditor, d => new(HttpMethod.Get, $"/api/v1/statistics/referrals?groupBy=sex&period={Uri.EscapeDataString(d)}")),
            (own.Caseworker, d => new(HttpMethod.Get, $"/api/v1/statistics/referrals?groupBy=ageBand&to={Uri.EscapeDataString(d)}")),
        };
        foreach (var list in new[] { "deadline-breaches", "activity", "export" })
            foreach (var bound in new[] { "from", "to" })
                routes.Add((auditor, d => new(HttpMethod.Get, $"/api/v1/audit/{list}?{bound}={Uri.EscapeDataString(d)}")));
        routes.Add((own.Caseworker, d => new(HttpMethod.Post, $"/api/v1/persons/{person}/consents")
            { Content = JsonContent.Create(new { givenBy = "person", method = "written", givenAt = d }) }));
        routes.Add((orgAdmin, d => new(HttpMethod.Post, $"/api/v1/organisations/{own.Id}/api-keys")
            { Content = JsonContent.Create(new { name = "edge", roles = new[] { "caseworker" }, expiresAt = d }) }));
        routes.Add((own.Caseworker, d => new(HttpMethod.Post, "/api/v1/persons")
            { Content = JsonContent.Create(new { givenName = "Edge", familyName = "Case", birthYear = 1990, sex = "female", languages = new[] { "sr" },
                legalStatus = "refugee", vulnerabilities = Array.Empty<string>(), dateOfBirth = d }) }));

        var failures = new List<string>();
        foreach (var (client, request) in routes)
            foreach (var date in EdgeDates)
            {
                using var message = request(date);
                var before = await fixture.RowCountsAsync();
                using var response = await client.SendAsync(message);
                var status = (int)response.StatusCode;
                var what = $"{message.Method} {message.RequestUri} {date}: {status}";
                if (status >= 500) failures.Add($"{what} {await response.Content.ReadAsStringAsync()}");
                else if (!WithinBounds(date) && status != 400) failures.Add($"{what}, expected 400");
                else if (status >= 400 && !before.SequenceEqual(await fixture.RowCountsAsync())) failures.Add($"{what} wrote rows");
            }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    /// <summary>Bodies are strict (issue 15): server fields sent by a client are refused, each named, and nothing is written.</summary>
    [Fact]
    public async Task Mass_assignment_of_server_fields_is_refused_naming_each()
    {
        var network = new TestNetwork(fixture);
        var a = await network.OrganisationAsync();
        var b = await network.OrganisationAsync();
        var body = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(TestNetwork.Referral(b.Id), TestNetwork.Json))!.AsObject();
        body["id"] = Guid.NewGuid();
        body["status"] = "completed";
        body["responsibleOrganisationId"] = b.Id;
        body["version"] = 42;
        body["protocolVersion"] = 99;
        body["hash"] = "00";
        var before = await fixture.RowCountsAsync();
        var response = await a.Caseworker.PostAsJsonAsync("/api/v1/referrals", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Equal(["hash", "id", "protocolVersion", "responsibleOrganisationId", "status", "version"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    private static string Preview(byte[]? body) => body is null ? "none" : Encoding.UTF8.GetString(body[..Math.Min(body.Length, 120)]);
}

public sealed class HostileInputTests_Sqlite(SqliteApiFixture fixture) : HostileInputTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class HostileInputTests_Postgres(PostgresApiFixture fixture) : HostileInputTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class HostileInputTests_SqlServer(SqlServerApiFixture fixture) : HostileInputTests(fixture), IClassFixture<SqlServerApiFixture>;
