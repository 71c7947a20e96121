using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Infrastructure.Deadlines;
using ReferralNetwork.Infrastructure.Observability;

namespace ReferralNetwork.Api.Tests.Reliability;

/// <summary>
/// Issue 20 item 4: with <c>Observability:Prometheus:Enabled</c> a scrape of <c>/metrics</c> after a scenario finds the
/// series operators need — requests by route and status, commands by outcome, transactions, open duties by protocol,
/// outbox and deadline-monitor lag — and neither metrics nor spans carry a name, a note, a query's text or a key.
/// </summary>
public abstract class ObservabilityTests(ApiFixture fixture)
{
    // Unique to this class: other tests' spans are seen by the same listener and use other names.
    public static readonly IReadOnlyDictionary<string, string?> On = new Dictionary<string, string?>
    {
        ["Observability:Prometheus:Enabled"] = "true", ["Observability:Tracing:Enabled"] = "true",
    };

    private const string Given = "Ксенијаобс", Family = "Obsfamily7731", Note = "obs-note-5512 needs a safe house";

    [Fact]
    public async Task Metrics_show_routes_commands_transactions_and_gauges_and_no_telemetry_carries_personal_data()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "ReferralNetwork" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var network = new TestNetwork(fixture);
        var a = await network.OrganisationAsync();
        var b = await network.OrganisationAsync("centre_for_social_work", ["legal_aid"]);
        // The submit continues a trace of this test's own (W3C traceparent), so its spans are told apart from other tests'.
        var trace = ActivityTraceId.CreateRandom();
        using var submit = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals")
        {
            Content = JsonContent.Create(TestNetwork.Referral(b.Id, TestNetwork.Person(Given, Family), reason: Note)),
        };
        submit.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
        var submitted = await a.Caseworker.SendAsync(submit);
        await TestNetwork.Expect(submitted, HttpStatusCode.Created);
        var referral = (await submitted.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!;
        await TestNetwork.Expect(await a.Caseworker.GetAsync($"/api/v1/persons?q={Family}"), HttpStatusCode.OK);
        await TestNetwork.Expect(await a.Caseworker.GetAsync($"/api/v1/referrals?box=outbox&q={Uri.EscapeDataString(Given)}"), HttpStatusCode.OK);
        await TestNetwork.Expect(await a.Caseworker.PostAsJsonAsync("/api/v1/referrals", new { reason = Note }), HttpStatusCode.BadRequest);
        // The acknowledgement is missed: the monitor records it, and the gauges see an open breach.
        fixture.Time.Advance(TimeSpan.FromDays(10));
        await using (var scope = fixture.Factory.Services.CreateAsyncScope())
            Assert.True(await scope.ServiceProvider.GetRequiredService<DeadlineMonitor>().RunOnceAsync(CancellationToken.None) > 0);
        await fixture.Factory.Services.GetRequiredService<OperationalGauges>().RefreshAsync(CancellationToken.None);

        var scrape = await fixture.Client().GetAsync("/metrics");
        await TestNetwork.Expect(scrape, HttpStatusCode.OK);
        var metrics = await scrape.Content.ReadAsStringAsync();
        Assert.Matches("""http_server_request_duration_seconds_count\{[^}]*http_response_status_code="201"[^}]*http_route="/?api/v1/referrals/?"[^}]*\}""", metrics);
        Assert.Matches("""http_server_request_duration_seconds_count\{[^}]*http_response_status_code="400"[^}]*\}""", metrics);
        Assert.Matches("""referralnetwork_message_duration_seconds_count\{[^}]*message="SubmitReferralCommand"[^}]*outcome="ok"[^}]*\}""", metrics);
        Assert.Matches("""referralnetwork_message_duration_seconds_count\{[^}]*message="SubmitReferralCommand"[^}]*outcome="refused"[^}]*\}""", metrics);
        Assert.Matches("""referralnetwork_db_transaction_duration_seconds_count\{[^}]*outcome="commit"[^}]*\}""", metrics);
        // Group commit: how many commands shared each commit, and how long they waited for it.
        Assert.Matches("""referralnetwork_db_commit_batch_size_bucket\{[^}]*le="1"[^}]*\} [1-9]""", metrics);
        Assert.Matches("""referralnetwork_db_commit_wait_seconds_count\{?[^}]*\}? [1-9]""", metrics);
        Assert.Matches("""referralnetwork_duties_open\{[^}]*protocol="[a-z0-9-]+"[^}]*\} [1-9]""", metrics);
        Assert.Contains("referralnetwork_outbox_pending", metrics);
        Assert.Contains("referralnetwork_outbox_lag_seconds", metrics);
        Assert.Contains("referralnetwork_deadline_monitor_lag_seconds", metrics);
        Assert.Matches("""referralnetwork_breaches_open\{[^}]*protocol="[a-z0-9-]+"[^}]*\} [1-9]""", metrics);
        Assert.Matches("""referralnetwork_deadline_breaches_recorded_total\{[^}]*duty="acknowledge"[^}]*\} [1-9]""", metrics);

        var ours = spans.Where(s => s.TraceId == trace).ToList();
        var command = Assert.Single(ours, s => s.OperationName == "SubmitReferralCommand");
        Assert.Equal("ok", command.GetTagItem("referralnetwork.outcome"));
        Assert.Equal(ActivityKind.Internal, command.Kind);
        // Beneath the request's own span, which names the route and not the query.
        var request = Assert.Single(ours, s => s.Source.Name == "Microsoft.AspNetCore");
        Assert.Equal(request.SpanId, command.ParentSpanId);
        var forbidden = new[] { Given, Family, Note, "obs-note", fixture.AdminKey, a.CaseworkerKey, b.CaseworkerKey, Uri.EscapeDataString(Given) };
        foreach (var span in spans)
        {
            var texts = span.TagObjects.Select(t => $"{t.Key}={t.Value}").Append(span.DisplayName).Append(span.OperationName);
            foreach (var text in texts)
                foreach (var word in forbidden)
                    Assert.False(text.Contains(word, StringComparison.Ordinal), $"A span carries '{word}': {text}");
        }
        foreach (var word in forbidden) Assert.DoesNotContain(word, metrics);
        Assert.NotNull(referral["id"]);

        // The dashboard and the alert rules in deploy/ ask only for series the API exports (webhook attempts need a
        // delivery, which this scenario does not make: that one is checked against the instrument's name).
        var asked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in new[] { "grafana-dashboard.json", "alerts.yml", "alerts.test.yml" })
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(
                await File.ReadAllTextAsync(Path.Combine(Repository.Root, "deploy", "observability", file)), "(referralnetwork|http_server)_[a-z_]+"))
                asked.Add(m.Value);
        Assert.Contains("referralnetwork_duties_open", asked);
        foreach (var name in asked.Where(n => n != "referralnetwork_webhook_attempts_total"))
            Assert.True(metrics.Contains(name + "{", StringComparison.Ordinal) || metrics.Contains(name + " ", StringComparison.Ordinal), $"deploy/observability asks for {name}, which /metrics does not export");
        Assert.Equal("referralnetwork.webhook.attempts", ReferralNetwork.Application.Abstractions.Telemetry.WebhookAttempts.Name);
    }

    [Fact]
    public async Task Metrics_are_not_served_unless_enabled()
    {
        var off = new SqliteApiFixture();
        await off.InitializeAsync();
        try
        {
            Assert.Equal(HttpStatusCode.NotFound, (await off.Client().GetAsync("/metrics")).StatusCode);
        }
        finally
        {
            await off.DisposeAsync();
        }
    }
}

public sealed class SqliteObservabilityFixture : SqliteApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => ObservabilityTests.On;
}

public sealed class PostgresObservabilityFixture : PostgresApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => ObservabilityTests.On;
}

public sealed class ObservabilityTests_Sqlite(SqliteObservabilityFixture fixture) : ObservabilityTests(fixture), IClassFixture<SqliteObservabilityFixture>;

[Trait("Database", "Postgres")]
public sealed class ObservabilityTests_Postgres(PostgresObservabilityFixture fixture) : ObservabilityTests(fixture), IClassFixture<PostgresObservabilityFixture>;

/// <summary>Issue 20: <c>Observability:Logging:Format=json</c> writes one JSON object per line, each request's with its trace id.</summary>
public sealed class JsonLogTests
{
    [Fact]
    public async Task Json_logs_are_one_object_per_line_and_a_requests_lines_carry_its_trace_id()
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development", ["Audit__LogSigningKey"] = "", ["Observability__Logging__Format"] = "json",
            ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
        };
        string output;
        await using (var api = await ApiProcess.StartAsync(environment))
        {
            using var client = new HttpClient { BaseAddress = api.BaseAddress };
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/me")).StatusCode);
            await Task.Delay(300); // the console logger writes on its own thread
            output = api.Output;
        }
        var objects = output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('{'))
            .Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.NotEmpty(objects);
        var request = Assert.Single(objects, o => o["Category"]?.GetValue<string>() == "Microsoft.AspNetCore.Hosting.Diagnostics"
            && o["Message"]!.GetValue<string>().Contains("Request starting", StringComparison.Ordinal) && o["Message"]!.GetValue<string>().Contains("/api/v1/me", StringComparison.Ordinal));
        var traceId = request["Scopes"]!.AsArray().Select(s => s?["TraceId"]?.GetValue<string>()).Single(t => t is not null);
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        Assert.Contains(objects, o => o != request && o["Scopes"]?.AsArray().Any(s => s?["TraceId"]?.GetValue<string>() == traceId) == true);
    }
}
