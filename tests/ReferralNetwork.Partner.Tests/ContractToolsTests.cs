using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Partner.Tests;

/// <summary>
/// Tools no one here wrote judge the committed contract (issue 15), installed by <c>npm ci</c> in tools/contract
/// (scripts/test.sh does it; the versions are pinned in its package-lock.json). Missing tools fail these tests:
/// (a) Spectral with spectral:oas and the OWASP ruleset reports no error; (b) Prism's validating proxy sees a partner's
/// calls — successes and refusals — and finds no answer that breaks the contract; (c) a TypeScript client generated
/// with openapi-typescript runs the partner scenario through openapi-fetch under Node's test runner.
/// </summary>
public sealed class ContractToolsTests : IAsyncLifetime
{
    private static readonly string Tools = Path.Combine(Repository.Root, "tools", "contract");
    private static readonly string Contract = Path.Combine(Repository.Root, "openapi", "referral-network.v1.json");
    private readonly string _adminKey = "rn_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    private ApiProcess _api = null!;

    public async Task InitializeAsync()
    {
        _api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["Bootstrap__NetworkAdminKey"] = _adminKey,
            ["Encryption__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Audit__CheckpointSigningKey"] = ApiProcess.CheckpointSigningKeyPem,
            // Rate limiting stays on (its headers are part of the contract), generous enough for the scenarios.
            ["RateLimiting__PermitsPerMinute"] = "6000",
        });
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private static string Tool(string name)
    {
        var path = Path.Combine(Tools, "node_modules", ".bin", name);
        Assert.True(File.Exists(path), $"{path} is missing: run `npm ci` in tools/contract (scripts/test.sh does it before the tests).");
        return path;
    }

    private static ProcessStartInfo Start(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Tools };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment["SCARF_ANALYTICS"] = "false";
        info.Environment["NO_UPDATE_NOTIFIER"] = "1";
        return info;
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(ProcessStartInfo info, TimeSpan timeout)
    {
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList)} ran longer than {timeout}: {await output}{await error}");
        }
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task Spectral_with_the_owasp_ruleset_finds_no_error_in_the_committed_contract()
    {
        var (exit, output, error) = await RunAsync(Start(Tool("spectral"), "lint", "--ruleset", ".spectral.yaml", "--format", "json", "--fail-severity", "error", Contract),
            TimeSpan.FromMinutes(3));
        var start = output.IndexOf('[');
        Assert.True(start >= 0, $"spectral printed no report (exit {exit}): {output}{error}");
        var findings = JsonNode.Parse(output[start..])!.AsArray();
        var errors = findings.Where(f => f!["severity"]!.GetValue<int>() == 0).Select(f => $"{f!["code"]} at {string.Join('.', f["path"]!.AsArray())}: {f["message"]}").ToList();
        Assert.True(errors.Count == 0, string.Join('\n', errors));
        Assert.Equal(0, exit);
        // The ruleset really ran: the OWASP rules report their warnings (each listed in openapi/README.md).
        Assert.Contains(findings, f => f!["code"]!.GetValue<string>().StartsWith("owasp:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Prism_validating_proxy_finds_no_answer_outside_the_contract()
    {
        var port = ApiProcess.FreePort();
        using var prism = Process.Start(Start(Tool("prism"), "proxy", Contract, _api.BaseAddress.ToString().TrimEnd('/'), "--host", "127.0.0.1", "--port",
            port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--errors", "false"))!;
        var log = new StringBuilder();
        prism.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        prism.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        prism.BeginOutputReadLine();
        prism.BeginErrorReadLine();
        try
        {
            var proxy = new Uri($"http://127.0.0.1:{port}");
            await WaitForAsync(proxy, log);
            var scenario = new PartnerCalls(proxy, _adminKey);
            try
            {
                await scenario.RunAsync();
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException)
            {
                throw new Xunit.Sdk.XunitException($"the scenario stopped ({e.Message} at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}) after: " + string.Join('\n', scenario.Violations));
            }
            Assert.True(scenario.Calls >= 25, $"only {scenario.Calls} calls");
            Assert.True(scenario.Violations.Count == 0, string.Join('\n', scenario.Violations));
            // Every operation of the contract was called through the proxy at least once.
            var operations = JsonNode.Parse(await File.ReadAllTextAsync(Contract))!["paths"]!.AsObject()
                .SelectMany(p => p.Value!.AsObject().Where(m => m.Key is "get" or "post" or "put" or "patch" or "delete").Select(m => (Method: m.Key.ToUpperInvariant(), Path: p.Key)))
                .ToList();
            var missed = operations.Where(o => !scenario.Called.Any(c => c.Method == o.Method && Template(o.Path).IsMatch(c.Path))).ToList();
            Assert.True(missed.Count == 0, "operations the scenario never called: " + string.Join(", ", missed.Select(m => $"{m.Method} {m.Path}")));
        }
        finally
        {
            if (!prism.HasExited) prism.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task A_typescript_client_generated_from_the_contract_runs_the_partner_scenario()
    {
        var generate = await RunAsync(Start(Tool("openapi-typescript"), Contract, "-o", "generated/referral-network.d.ts"), TimeSpan.FromMinutes(2));
        Assert.True(generate.Exit == 0, generate.Output + generate.Error);
        // Type-checked against the generated types before it runs: a contract the client cannot be written against fails here.
        var compile = await RunAsync(Start(Tool("tsc"), "-p", "tsconfig.json"), TimeSpan.FromMinutes(2));
        Assert.True(compile.Exit == 0, compile.Output + compile.Error);
        var test = Start("node", "--test", "generated/partner-scenario.test.js");
        test.Environment["REFERRALNET_API"] = _api.BaseAddress.ToString().TrimEnd('/');
        test.Environment["REFERRALNET_ADMIN_KEY"] = _adminKey;
        var run = await RunAsync(test, TimeSpan.FromMinutes(2));
        Assert.True(run.Exit == 0, run.Output + run.Error);
        Assert.Contains("# fail 0", run.Output);
        Assert.DoesNotContain("# pass 0", run.Output);
    }

    /// <summary>Kestrel drops a request with a non-ASCII header before any middleware; the Idempotency-Key is read so its own check answers with a problem.</summary>
    [Fact]
    public async Task A_non_ascii_idempotency_key_gets_a_problem_body_from_the_real_server()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _api.Port);
        await using var stream = tcp.GetStream();
        var body = "{}"u8.ToArray();
        var head = Encoding.ASCII.GetBytes($"POST /api/v1/referrals HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {_adminKey}\r\nContent-Type: application/json\r\n" +
                                          $"Content-Length: {body.Length}\r\nConnection: close\r\nIdempotency-Key: ");
        await stream.WriteAsync(head);
        await stream.WriteAsync(Encoding.UTF8.GetBytes("ključ-☃\r\n\r\n"));
        await stream.WriteAsync(body);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 400", answer);
        Assert.Contains("Content-Type: application/problem+json", answer);
        Assert.Contains("Idempotency-Key", answer[answer.IndexOf("\r\n\r\n", StringComparison.Ordinal)..]);
    }

    private static System.Text.RegularExpressions.Regex Template(string path) =>
        new("^" + System.Text.RegularExpressions.Regex.Replace(System.Text.RegularExpressions.Regex.Escape(path).Replace("\\{", "{", StringComparison.Ordinal), "\\{[^}]+}", "[^/]+") + "$");

    private static async Task WaitForAsync(Uri proxy, StringBuilder log)
    {
        using var http = new HttpClient { BaseAddress = proxy, Timeout = TimeSpan.FromSeconds(2) };
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(250))
        {
            try
            {
                if ((await http.GetAsync("/health/live")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
        }
        lock (log) throw new TimeoutException("prism proxy did not start: " + log);
    }
}

/// <summary>
/// A partner's workload through Prism: every answer's <c>sl-violations</c> header must be empty of response violations;
/// requests the scenario sends wrong on purpose (to see the refusal) may carry request violations, nothing else.
/// </summary>
internal sealed class PartnerCalls(Uri proxy, string adminKey)
{
    public List<string> Violations { get; } = [];
    public int Calls { get; private set; }

    /// <summary>Every (method, path) called, for the coverage check against the contract's operations.</summary>
    public List<(string Method, string Path)> Called { get; } = [];

    public string? LastEventId { get; private set; }

    private HttpClient Client(string key)
    {
        var http = new HttpClient { BaseAddress = proxy };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    private async Task<JsonNode?> CallAsync(HttpClient client, HttpMethod method, string path, string? json = null, int expect = 200, string? ifMatch = null,
        bool wrongOnPurpose = false, string? idempotencyKey = null, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        if (content is not null) request.Content = content;
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (idempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        using var response = await client.SendAsync(request);
        Calls++;
        Called.Add((method.Method, path.Split('?')[0]));
        if (response.Headers.TryGetValues("Audit-Event-Id", out var eventIds)) LastEventId = eventIds.First();
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != expect) Violations.Add($"{method} {path}: expected {expect}, got {(int)response.StatusCode}: {text}");
        if (response.Headers.TryGetValues("sl-violations", out var values))
            foreach (var violation in JsonNode.Parse(string.Join("", values))!.AsArray())
            {
                var location = violation!["location"]?.AsArray().FirstOrDefault()?.GetValue<string>();
                if (wrongOnPurpose && location == "request") continue;
                Violations.Add($"{method} {path} → {(int)response.StatusCode}: {violation.ToJsonString()}");
            }
        var media = response.Content.Headers.ContentType?.MediaType ?? "";
        return text.Length == 0 || !(media == "application/json" || media.EndsWith("+json", StringComparison.Ordinal)) ? null : JsonNode.Parse(text);
    }

    public async Task RunAsync()
    {
        var admin = Client(adminKey);
        var csw = (await CallAsync(admin, HttpMethod.Post, "/api/v1/organisations",
            """{"name":"Centar za socijalni rad","kind":"centre_for_social_work","municipality":"Beograd","services":["guardianship","child_protection"],"languages":["sr","en"]}""",
            201))!["id"]!.GetValue<string>();
        var ngo = (await CallAsync(admin, HttpMethod.Post, "/api/v1/organisations",
            """{"name":"Pravna pomoć","kind":"ngo","municipality":"Beograd","services":["legal_aid"],"languages":["sr","ar"]}""", 201))!["id"]!.GetValue<string>();
        await CallAsync(admin, HttpMethod.Post, "/api/v1/organisations", """{"name":"X","kind":"ngo","status":"active"}""", 400, wrongOnPurpose: true);
        var cswAdmin = Client((await CallAsync(admin, HttpMethod.Post, $"/api/v1/organisations/{csw}/api-keys", """{"name":"admin","roles":["org_admin"]}""", 201))!["key"]!.GetValue<string>());
        var ngoAdmin = Client((await CallAsync(admin, HttpMethod.Post, $"/api/v1/organisations/{ngo}/api-keys", """{"name":"admin","roles":["org_admin"]}""", 201))!["key"]!.GetValue<string>());
        var partner = Client((await CallAsync(cswAdmin, HttpMethod.Post, $"/api/v1/organisations/{csw}/api-keys", """{"name":"cms","roles":["partner_system"]}""", 201))!["key"]!.GetValue<string>());
        var receiver = Client((await CallAsync(ngoAdmin, HttpMethod.Post, $"/api/v1/organisations/{ngo}/api-keys", """{"name":"cw","roles":["caseworker"]}""", 201))!["key"]!.GetValue<string>());

        await CallAsync(partner, HttpMethod.Get, "/api/v1/me");
        await CallAsync(partner, HttpMethod.Get, "/api/v1/services");
        await CallAsync(partner, HttpMethod.Get, "/api/v1/protocols");
        await CallAsync(partner, HttpMethod.Get, "/api/v1/organisations?service=legal_aid&limit=10");
        await CallAsync(partner, HttpMethod.Get, $"/api/v1/organisations/{ngo}");
        await CallAsync(cswAdmin, HttpMethod.Get, $"/api/v1/organisations/{csw}/api-keys");
        await CallAsync(partner, HttpMethod.Get, "/api/v1/webhooks");

        var submission = $$$"""
            {"receiverOrganisationId":"{{{ngo}}}","services":["legal_aid"],"urgency":"urgent","reason":"Needs advice before the asylum interview",
             "person":{"givenName":"Zainab","familyName":"Al-Hassan","birthYear":1994,"sex":"female","nationality":"SY","languages":["ar"],
                       "legalStatus":"asylum_seeker","vulnerabilities":["single_parent"]},
             "consent":{"givenBy":"person","method":"verbal_with_interpreter"}}
            """;
        var key = Guid.NewGuid().ToString();
        var referral = (await CallAsync(partner, HttpMethod.Post, "/api/v1/referrals", submission, 201, idempotencyKey: key))!;
        var id = referral["id"]!.GetValue<string>();
        await CallAsync(partner, HttpMethod.Post, "/api/v1/referrals", submission, 201, idempotencyKey: key); // the replay
        await CallAsync(partner, HttpMethod.Post, "/api/v1/referrals", submission.Replace("\"urgency\":\"urgent\"", "\"urgency\":\"urgent\",\"status\":\"accepted\""), 400,
            wrongOnPurpose: true);
        await CallAsync(partner, HttpMethod.Post, "/api/v1/referrals", submission.Replace("\"birthYear\":1994", "\"birthYear\":\"1994\""), 400, wrongOnPurpose: true);
        await CallAsync(partner, HttpMethod.Get, "/api/v1/referrals?box=bogus", expect: 400, wrongOnPurpose: true);
        await CallAsync(partner, HttpMethod.Get, "/api/v1/referrals/not-a-uuid", expect: 400, wrongOnPurpose: true);
        await CallAsync(partner, HttpMethod.Get, $"/api/v1/referrals/{Guid.NewGuid()}", expect: 404);
        await CallAsync(Client("rn_" + new string('x', 43)), HttpMethod.Get, "/api/v1/me", expect: 401);

        await CallAsync(receiver, HttpMethod.Get, "/api/v1/referrals?box=inbox&limit=5");
        await CallAsync(receiver, HttpMethod.Get, $"/api/v1/referrals/{id}");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{id}/acknowledge", "{}", 428, wrongOnPurpose: true);
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{id}/acknowledge", "{}", 412, ifMatch: "\"9\"");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{id}/acknowledge", "{}", ifMatch: "\"1\"");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{id}/acknowledge", "{}", 409, ifMatch: "\"2\"");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{id}/accept", null, ifMatch: "\"2\"");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{id}/start", "{}", ifMatch: "\"3\"");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{id}/notes", """{"text":"Appointment on Monday"}""", 201);
        await CallAsync(partner, HttpMethod.Get, $"/api/v1/referrals/{id}/notes");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{id}/complete", """{"outcome":"service_provided","note":"Represented at the interview"}""",
            ifMatch: "\"4\"");
        await CallAsync(partner, HttpMethod.Get, $"/api/v1/referrals/{id}");
        await CallAsync(partner, HttpMethod.Get, $"/api/v1/referrals/{id}/timeline");
        await CallAsync(partner, HttpMethod.Get, "/api/v1/referrals?box=outbox&status=completed");

        // A referral the receiver declines, and one the referrer withdraws.
        var second = (await CallAsync(partner, HttpMethod.Post, "/api/v1/referrals", submission, 201))!["id"]!.GetValue<string>();
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{second}/decline", """{"reasonCode":"no_capacity","note":"Full this month"}""", ifMatch: "\"1\"");
        var third = (await CallAsync(partner, HttpMethod.Post, "/api/v1/referrals", submission, 201))!["id"]!.GetValue<string>();
        await CallAsync(partner, HttpMethod.Post, $"/api/v1/referrals/{third}/withdraw", """{"reason":"Sent to the wrong organisation"}""", ifMatch: "\"1\"");

        await EveryOtherRouteAsync(admin, csw, ngo, cswAdmin, ngoAdmin, partner, receiver, submission, id);
    }

    /// <summary>The routes the partner walkthrough above does not reach: each called at least once, on a success path where one is cheap to set up.</summary>
    private async Task EveryOtherRouteAsync(HttpClient admin, string csw, string ngo, HttpClient cswAdmin, HttpClient ngoAdmin, HttpClient partner, HttpClient receiver,
        string submission, string completed)
    {
        var anonymous = new HttpClient { BaseAddress = proxy };
        await CallAsync(anonymous, HttpMethod.Get, "/health/live");
        await CallAsync(anonymous, HttpMethod.Get, "/health/ready");
        await CallAsync(anonymous, HttpMethod.Get, "/api/v1/session/providers");
        await CallAsync(anonymous, HttpMethod.Get, "/api/v1/session", expect: 401, wrongOnPurpose: true);
        await CallAsync(anonymous, HttpMethod.Delete, "/api/v1/session", expect: 401, wrongOnPurpose: true);
        await CallAsync(anonymous, HttpMethod.Post, "/api/v1/session/provider", """{"accessToken":"not-a-token"}""", 401, wrongOnPurpose: true);

        // The directory and protocols.
        await CallAsync(cswAdmin, HttpMethod.Patch, $"/api/v1/organisations/{csw}", """{"contactPhone":"+381 11 123 4567"}""");
        await CallAsync(partner, HttpMethod.Get, "/api/v1/protocols/standard");
        await CallAsync(partner, HttpMethod.Get, "/api/v1/protocols/standard/versions/1");
        await CallAsync(admin, HttpMethod.Post, "/api/v1/protocols", """{"code":"Not A Slug","title":"x"}""", 400, wrongOnPurpose: true);
        var spare = (await CallAsync(cswAdmin, HttpMethod.Post, $"/api/v1/organisations/{csw}/api-keys", """{"name":"spare","roles":["caseworker"]}""", 201))!["id"]!
            .GetValue<string>();
        await CallAsync(cswAdmin, HttpMethod.Delete, $"/api/v1/api-keys/{spare}");

        // People: a person recorded first, found, matched, consents recorded and withdrawn, then erased.
        var person = (await CallAsync(partner, HttpMethod.Post, "/api/v1/persons",
            """{"givenName":"Omid","familyName":"Karimi","birthYear":2009,"sex":"male","nationality":"AF","legalStatus":"asylum_seeker","vulnerabilities":[]}""",
            201))!["id"]!.GetValue<string>();
        await CallAsync(partner, HttpMethod.Get, "/api/v1/persons?q=karimi");
        await CallAsync(partner, HttpMethod.Post, "/api/v1/persons/matches", """{"givenName":"Omid","familyName":"Qarimi","birthYear":2009}""");
        await CallAsync(partner, HttpMethod.Get, $"/api/v1/persons/{person}");
        var consent = (await CallAsync(partner, HttpMethod.Post, $"/api/v1/persons/{person}/consents", """{"givenBy":"person","method":"written"}""", 201))!["id"]!
            .GetValue<string>();
        await CallAsync(partner, HttpMethod.Get, $"/api/v1/persons/{person}/consents");
        await CallAsync(partner, HttpMethod.Post, $"/api/v1/persons/{person}/consents/{consent}/withdraw", """{"reason":"Asked to stop"}""");
        // A duplicate merged into the person by a supervisor, the merge undone by the admin (issue 17).
        var duplicate = (await CallAsync(partner, HttpMethod.Post, "/api/v1/persons",
            """{"givenName":"Omid","familyName":"Qarimi","birthYear":2009,"sex":"male","nationality":"AF","legalStatus":"asylum_seeker","vulnerabilities":[]}""",
            201))!["id"]!.GetValue<string>();
        var supervisor = Client((await CallAsync(cswAdmin, HttpMethod.Post, $"/api/v1/organisations/{csw}/api-keys", """{"name":"sup","roles":["supervisor"]}""", 201))!["key"]!
            .GetValue<string>());
        await CallAsync(supervisor, HttpMethod.Post, $"/api/v1/persons/{duplicate}/merge", $$"""{"duplicateOf":"{{person}}","reason":"Same boy"}""");
        await CallAsync(cswAdmin, HttpMethod.Post, $"/api/v1/persons/{duplicate}/merge/undo", """{"reason":"Two brothers"}""");
        await CallAsync(cswAdmin, HttpMethod.Post, $"/api/v1/persons/{person}/erasure", """{"reason":"Erasure asked by the person"}""");

        // A referral taken through redirect; another held and resumed; the actions that do not apply here refused.
        var third = (await CallAsync(admin, HttpMethod.Post, "/api/v1/organisations",
            """{"name":"Kuća integracije","kind":"ngo","municipality":"Beograd","services":["legal_aid"],"languages":["sr"]}""", 201))!["id"]!.GetValue<string>();
        var redirected = (await CallAsync(partner, HttpMethod.Post, "/api/v1/referrals", submission, 201))!["id"]!.GetValue<string>();
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{redirected}/redirect", $$"""{"targetOrganisationId":"{{third}}","note":"They have a lawyer free"}""",
            ifMatch: "\"1\"");
        var held = (await CallAsync(partner, HttpMethod.Post, "/api/v1/referrals", submission, 201))!["id"]!.GetValue<string>();
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{held}/accept", "{}", ifMatch: "\"1\"");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{held}/start", "{}", ifMatch: "\"2\"");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{held}/hold", """{"reason":"Waiting for documents"}""", ifMatch: "\"3\"");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{held}/resume", "{}", ifMatch: "\"4\"");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{held}/steps/intake", "{}", 409, ifMatch: "\"5\"");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{held}/take", "{}", 403, ifMatch: "\"5\"");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{held}/assign", $$"""{"userId":"{{Guid.NewGuid()}}"}""", 403, ifMatch: "\"5\"");
        await CallAsync(receiver, HttpMethod.Post, $"/api/v1/referrals/{held}/unassign", "{}", 403, ifMatch: "\"5\"");
        await CallAsync(partner, HttpMethod.Post, $"/api/v1/referrals/{held}/override-review", """{"approved":true}""", 403, ifMatch: "\"5\"");
        await CallAsync(partner, HttpMethod.Post, $"/api/v1/referrals/{held}/guardian-confirmation", """{"confirmed":true}""", 403, ifMatch: "\"5\"");
        // Documents (issue 17): a PDF uploaded raw with its file name, listed and downloaded.
        var document = new ByteArrayContent("%PDF-1.7\n% a consent form\n"u8.ToArray());
        document.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/pdf");
        document.Headers.TryAddWithoutValidation("Content-Disposition", "attachment; filename=\"consent.pdf\"");
        var attached = (await CallAsync(partner, HttpMethod.Post, $"/api/v1/referrals/{held}/attachments", expect: 201, content: document))!["id"]!.GetValue<string>();
        await CallAsync(receiver, HttpMethod.Get, $"/api/v1/referrals/{held}/attachments");
        await CallAsync(receiver, HttpMethod.Get, $"/api/v1/referrals/{held}/attachments/{attached}");
        await CallAsync(receiver, HttpMethod.Get, "/api/v1/referrals/counts?box=inbox");
        await CallAsync(receiver, HttpMethod.Get, "/api/v1/referrals?box=inbox&sort=due");

        // Named people: the organisation admin's users, activation, and sign-in refused without the second factor.
        var created = (await CallAsync(ngoAdmin, HttpMethod.Post, $"/api/v1/organisations/{ngo}/users",
            """{"username":"ana.petrovic","displayName":"Ana Petrović","roles":["caseworker"]}""", 201))!;
        var user = created["id"]!.GetValue<string>();
        await CallAsync(ngoAdmin, HttpMethod.Get, $"/api/v1/organisations/{ngo}/users");
        await CallAsync(ngoAdmin, HttpMethod.Get, $"/api/v1/organisations/{ngo}/users/{user}");
        await CallAsync(ngoAdmin, HttpMethod.Patch, $"/api/v1/organisations/{ngo}/users/{user}", """{"displayName":"Ana Petrović Jovanović"}""");
        var secret = (await CallAsync(ngoAdmin, HttpMethod.Post, $"/api/v1/organisations/{ngo}/users/{user}/reset"))!["activationSecret"]!.GetValue<string>();
        await CallAsync(anonymous, HttpMethod.Post, "/api/v1/session/activation",
            $$"""{"username":"ana.petrovic","activationSecret":"{{secret}}","password":"a long passphrase for the centre"}""");
        await CallAsync(anonymous, HttpMethod.Post, "/api/v1/session", """{"username":"ana.petrovic","password":"a long passphrase for the centre"}""", 401);
        await CallAsync(ngoAdmin, HttpMethod.Delete, $"/api/v1/organisations/{ngo}/users/{user}/sessions");

        // Webhooks: a subscription to a private address is refused; the rest answer for a subscription that does not exist.
        await CallAsync(partner, HttpMethod.Post, "/api/v1/webhooks", """{"url":"https://127.0.0.1/hooks","events":["referral.accepted"]}""", 400, wrongOnPurpose: true);
        var none = Guid.NewGuid();
        await CallAsync(partner, HttpMethod.Get, $"/api/v1/webhooks/{none}", expect: 404);
        await CallAsync(partner, HttpMethod.Get, $"/api/v1/webhooks/{none}/deliveries", expect: 404);
        await CallAsync(partner, HttpMethod.Post, $"/api/v1/webhooks/{none}/deliveries/{Guid.NewGuid()}/redeliver", expect: 404);
        await CallAsync(partner, HttpMethod.Delete, $"/api/v1/webhooks/{none}", expect: 404);

        // The auditor's routes.
        var coordinator = (await CallAsync(admin, HttpMethod.Get, "/api/v1/me"))!["organisation"]!["id"]!.GetValue<string>();
        var auditor = Client((await CallAsync(admin, HttpMethod.Post, $"/api/v1/organisations/{coordinator}/api-keys", """{"name":"ombudsperson","roles":["auditor"]}""",
            201))!["key"]!.GetValue<string>());
        var eventId = LastEventId ?? "1";
        var year = DateTime.UtcNow.Year;
        await CallAsync(auditor, HttpMethod.Get, "/api/v1/audit/public-key");
        await CallAsync(auditor, HttpMethod.Get, "/api/v1/audit/verify");
        await CallAsync(auditor, HttpMethod.Get, $"/api/v1/audit/referrals/{completed}/responsibility");
        await CallAsync(auditor, HttpMethod.Get, $"/api/v1/audit/referrals/{completed}/events");
        await CallAsync(auditor, HttpMethod.Get, "/api/v1/audit/deadline-breaches?limit=5");
        await CallAsync(auditor, HttpMethod.Get, "/api/v1/audit/activity?limit=5");
        await CallAsync(auditor, HttpMethod.Get, $"/api/v1/audit/personal-data-access?personId={person}");
        await CallAsync(auditor, HttpMethod.Get, $"/api/v1/audit/export?from={year}-01-01T00:00:00Z&to={year + 1}-01-01T00:00:00Z");
        await CallAsync(auditor, HttpMethod.Get, "/api/v1/audit/log");
        await CallAsync(auditor, HttpMethod.Get, "/api/v1/audit/log/checkpoint", expect: 404); // no checkpoint signed yet in this fresh database
        await CallAsync(auditor, HttpMethod.Get, "/api/v1/audit/log/proof/inclusion?index=0&size=1", expect: 400);
        await CallAsync(auditor, HttpMethod.Get, "/api/v1/audit/log/proof/consistency?from=1&to=1", expect: 400);
        await CallAsync(auditor, HttpMethod.Get, $"/api/v1/audit/receipts/{eventId}", expect: 202); // not yet in a signed checkpoint
        await CallAsync(auditor, HttpMethod.Get, $"/api/v1/statistics/referrals?period={year}-{DateTime.UtcNow.Month:00}&groupBy=service");
        await CallAsync(auditor, HttpMethod.Get, $"/api/v1/reports/indicators?period={year}-{DateTime.UtcNow.Month:00}&groupBy=organisation");
        await CallAsync(auditor, HttpMethod.Get, $"/api/v1/reports/indicators?period={year}-Q{(DateTime.UtcNow.Month - 1) / 3 + 1}&groupBy=service&format=csv");
    }
}
