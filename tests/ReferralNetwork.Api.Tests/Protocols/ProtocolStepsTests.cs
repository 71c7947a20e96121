using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Audit;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Lifecycle;
using ReferralNetwork.Infrastructure.Deadlines;

namespace ReferralNetwork.Api.Tests.Protocols;

/// <summary>
/// Issue 23: protocols that tell the receiver what to do. Steps are published with a version, shown on the referral in
/// the reader's language, recorded by the receiver through the one write path, required for a completion as provided,
/// and — with a due duration — duties the monitor breaches and verify replays. Second-scale durations on the test clock.
/// </summary>
public abstract class ProtocolStepsTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private static object Texts(string sr, string en, string? cyr = null) =>
        cyr is null ? new Dictionary<string, string> { ["sr-Latn"] = sr, ["en"] = en } : new Dictionary<string, string> { ["sr-Latn"] = sr, ["sr-Cyrl"] = cyr, ["en"] = en };

    /// <summary>
    /// A protocol only a referral naming it uses, with three steps: <c>intake</c> (mandatory, every service),
    /// <c>advice</c> (legal_aid only, not mandatory, due 30 s after acceptance) and <c>x-ray</c> (healthcare only).
    /// </summary>
    private async Task<string> StepProtocolAsync()
    {
        var code = "steps-" + Guid.NewGuid().ToString("N")[..12];
        var deadlines = new { acknowledge = "PT1H", decide = "PT2H", followUp = "P7D" };
        var response = await fixture.Admin().PostAsJsonAsync("/api/v1/protocols", new
        {
            code, title = "Steps", appliesTo = new { minAge = 150 }, consent = new { requiredFrom = new[] { "person" } },
            deadlines = new { emergency = deadlines, urgent = deadlines, routine = deadlines },
            steps = new object[]
            {
                new { code = "intake", title = Texts("Prijem", "Intake", "Пријем"), guidance = Texts("Zatražite dokument.", "Ask for the document."),
                      legalBasis = "Zakon o azilu i privremenoj zaštiti", mandatory = true },
                new { code = "advice", title = Texts("Savet", "Advice"), services = new[] { "legal_aid" }, mandatory = false, due = "PT30S" },
                new { code = "x-ray", title = Texts("Rendgen", "X-ray"), services = new[] { "healthcare" }, mandatory = true },
            },
        });
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        return code;
    }

    private async Task<(TestOrganisation Referrer, TestOrganisation Receiver, Guid Id)> AcceptedAsync(string protocol)
    {
        var (referrer, receiver) = (await _network.OrganisationAsync(), await _network.OrganisationAsync());
        var body = new
        {
            receiverOrganisationId = receiver.Id, services = new[] { "legal_aid" }, urgency = "urgent", reason = "Needs advice on the asylum procedure",
            protocolCode = protocol, person = TestNetwork.Person(), consent = new { givenBy = "person", method = "written" },
        };
        var id = LifecycleApi.IdOf(await _network.SubmitAsync(referrer, receiver, body));
        await receiver.Caseworker.MoveAsync(id, "accept");
        return (referrer, receiver, id);
    }

    private static async Task<HttpResponseMessage> StepAsync(HttpClient client, Guid id, string code, string? ifMatch, object? body = null) =>
        await client.ActAsync(id, $"steps/{code}", ifMatch, body);

    [Fact]
    public async Task Publish_pins_the_steps_with_the_version_and_refuses_malformed_ones()
    {
        var code = await StepProtocolAsync();
        var published = await fixture.Admin().GetFromJsonAsync<JsonObject>($"/api/v1/protocols/{code}/versions/1");
        var steps = published!["document"]!["steps"]!.AsArray();
        Assert.Equal(["intake", "advice", "x-ray"], steps.Select(s => s!["code"]!.GetValue<string>()));
        Assert.Equal("Пријем", steps[0]!["title"]!["sr-Cyrl"]!.GetValue<string>());
        Assert.Equal("PT30S", steps[1]!["due"]!.GetValue<string>());

        var deadlines = new { acknowledge = "PT1H", decide = "PT2H", followUp = "P7D" };
        var before = await fixture.CountAsync("SELECT COUNT(*) FROM protocols WHERE code = @Code", new { Code = "bad-steps" });
        var bad = await fixture.Admin().PostAsJsonAsync("/api/v1/protocols", new
        {
            code = "bad-steps", title = "Bad", deadlines = new { emergency = deadlines, urgent = deadlines, routine = deadlines },
            steps = new object[]
            {
                new { code = "Not A Slug", title = Texts("a", "a"), mandatory = true },
                new { code = "twice", title = Texts("a", "a"), mandatory = true, due = "P2Y" },
                new { code = "twice", title = new Dictionary<string, string> { ["sr-Latn"] = "samo srpski" }, mandatory = false },
                new { code = "lang", title = new Dictionary<string, string> { ["sr-Latn"] = "a", ["en"] = "a", ["de"] = "a" }, mandatory = false },
                new { code = "long", title = Texts(new string('a', 201), "a"), mandatory = false },
            },
        });
        var errors = (await LifecycleApi.ProblemAsync(bad, HttpStatusCode.BadRequest))["errors"]!.AsObject();
        Assert.Contains("steps[0].code", errors.Select(e => e.Key));
        Assert.Contains("steps[1].due", errors.Select(e => e.Key));
        Assert.Contains("steps[2].code", errors.Select(e => e.Key));
        Assert.Contains("steps[2].title.en", errors.Select(e => e.Key));
        Assert.Contains("steps[3].title", errors.Select(e => e.Key));
        Assert.Contains("steps[4].title.sr-Latn", errors.Select(e => e.Key));

        var unknownService = await fixture.Admin().PostAsJsonAsync("/api/v1/protocols", new
        {
            code = "bad-steps", title = "Bad", deadlines = new { emergency = deadlines, urgent = deadlines, routine = deadlines },
            steps = new object[] { new { code = "a", title = Texts("a", "a"), services = new[] { "astrology" }, mandatory = true } },
        });
        Assert.Contains("steps[0].services", (await LifecycleApi.ProblemAsync(unknownService, HttpStatusCode.BadRequest))["errors"]!.AsObject().Select(e => e.Key));
        Assert.Equal(before, await fixture.CountAsync("SELECT COUNT(*) FROM protocols WHERE code = @Code", new { Code = "bad-steps" }));
    }

    [Fact]
    public async Task The_referral_shows_the_steps_of_its_services_in_the_readers_language()
    {
        var (_, receiver, id) = await AcceptedAsync(await StepProtocolAsync());
        var referral = (await receiver.Caseworker.ReadAsync(id)).Referral;
        var steps = referral["steps"]!.AsArray();
        Assert.Equal(["intake", "advice"], steps.Select(s => s!["code"]!.GetValue<string>())); // x-ray is for healthcare only
        Assert.Equal("Intake", steps[0]!["title"]!.GetValue<string>());
        Assert.Equal("Ask for the document.", steps[0]!["guidance"]!.GetValue<string>());
        Assert.Equal("Zakon o azilu i privremenoj zaštiti", steps[0]!["legalBasis"]!.GetValue<string>());
        Assert.True(steps[0]!["mandatory"]!.GetValue<bool>());
        Assert.Null(steps[0]!["doneAt"]);

        using var serbian = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/referrals/{id}");
        serbian.Headers.TryAddWithoutValidation("Accept-Language", "sr-Cyrl-RS, en;q=0.5");
        var cyrillic = (await (await receiver.Caseworker.SendAsync(serbian)).Content.ReadFromJsonAsync<JsonObject>())!["steps"]!.AsArray();
        Assert.Equal("Пријем", cyrillic[0]!["title"]!.GetValue<string>());
        Assert.Equal("Savet", cyrillic[1]!["title"]!.GetValue<string>()); // no Cyrillic text: the same language in Latin script
        Assert.Equal("Zatražite dokument.", cyrillic[0]!["guidance"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_receiver_records_a_step_once_with_a_note_and_the_other_party_may_not()
    {
        var (referrer, receiver, id) = await AcceptedAsync(await StepProtocolAsync());
        var (_, etag) = await receiver.Caseworker.ReadAsync(id);
        await LifecycleApi.ProblemAsync(await StepAsync(referrer.Caseworker, id, "intake", etag), HttpStatusCode.Forbidden);
        await LifecycleApi.ProblemAsync(await StepAsync(receiver.Caseworker, id, "x-ray", etag), HttpStatusCode.Conflict);
        await LifecycleApi.ProblemAsync(await StepAsync(receiver.Caseworker, id, "nothing", etag), HttpStatusCode.Conflict);
        await LifecycleApi.ProblemAsync(await StepAsync(receiver.Caseworker, id, "intake", null), (HttpStatusCode)428);
        Assert.Equal(0, await fixture.CountAsync("SELECT COUNT(*) FROM referral_steps WHERE referral_id = @Id", new { Id = id }));

        var response = await StepAsync(receiver.Caseworker, id, "intake", etag, new { note = "Card seen, copy in the file" });
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        var step = (await response.Content.ReadFromJsonAsync<JsonObject>())!["steps"]!.AsArray()[0]!;
        Assert.Equal(receiver.Id, step["doneBy"]!.GetValue<Guid>());
        Assert.NotNull(step["doneAt"]);
        Assert.Equal("Card seen, copy in the file", step["note"]!.GetValue<string>());
        await LifecycleApi.ProblemAsync(await StepAsync(receiver.Caseworker, id, "intake", etag), HttpStatusCode.PreconditionFailed);
        await LifecycleApi.ProblemAsync(await StepAsync(receiver.Caseworker, id, "intake", response.Headers.ETag!.Tag), HttpStatusCode.Conflict);

        Assert.Equal(1, await fixture.CountAsync("SELECT COUNT(*) FROM referral_steps WHERE referral_id = @Id AND step_code = 'intake'", new { Id = id }));
        Assert.Equal(1, await fixture.CountAsync("SELECT COUNT(*) FROM referral_timeline WHERE referral_id = @Id AND action = 'step_done' AND code = 'intake'", new { Id = id }));
        Assert.Equal(1, await fixture.CountAsync("SELECT COUNT(*) FROM outbox_messages WHERE referral_id = @Id AND event_type = 'referral.step_done'", new { Id = id }));
        Assert.Equal(1, await fixture.CountAsync("SELECT COUNT(*) FROM audit_events WHERE stream_id = @Stream AND type = 'referral.step_done'",
            new { Stream = $"referral/{id}" }));
        // The note is sealed like every note: the referrer reads it among the notes, the database holds no plain text.
        var notes = await referrer.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}/notes");
        Assert.Contains("Card seen, copy in the file", notes!["items"]!.AsArray().Select(n => n!["text"]?.GetValue<string>()));
        Assert.Equal(0, await fixture.CountAsync("SELECT COUNT(*) FROM audit_events WHERE stream_id = @Stream AND data LIKE '%Card seen%'", new { Stream = $"referral/{id}" }));
    }

    [Fact]
    public async Task Completion_as_provided_needs_the_mandatory_steps_and_a_failed_outcome_does_not()
    {
        var protocol = await StepProtocolAsync();
        var (_, receiver, id) = await AcceptedAsync(protocol);
        var (before, etag) = await receiver.Caseworker.ReadAsync(id);
        var refused = await LifecycleApi.ProblemAsync(await receiver.Caseworker.ActAsync(id, "complete", etag, new { outcome = "service_provided" }),
            HttpStatusCode.UnprocessableEntity);
        Assert.Equal("protocol.steps_missing", refused["rule"]!.GetValue<string>());
        Assert.Equal(["intake"], LifecycleApi.Strings(refused["missingSteps"]));
        var partial = await LifecycleApi.ProblemAsync(await receiver.Caseworker.ActAsync(id, "complete", etag, new { outcome = "partially_provided" }),
            HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["intake"], LifecycleApi.Strings(partial["missingSteps"]));
        Assert.Equal(before["version"]!.GetValue<int>(), (await receiver.Caseworker.ReadAsync(id)).Referral["version"]!.GetValue<int>());

        await TestNetwork.Expect(await StepAsync(receiver.Caseworker, id, "intake", etag), HttpStatusCode.OK);
        var completed = await receiver.Caseworker.MoveAsync(id, "complete", new { outcome = "service_provided" });
        Assert.Equal("completed", completed["status"]!.GetValue<string>());
        // The advice step's duty is no longer owed once the referral is finished.
        Assert.Equal("discharged", completed["duties"]!.AsArray().Single(d => d!["step"]?.GetValue<string>() == "advice")!["closedBasis"]!.GetValue<string>());

        var (_, other, failedId) = await AcceptedAsync(protocol);
        var failed = await other.Caseworker.MoveAsync(failedId, "complete", new { outcome = "client_declined", note = "Did not come back" });
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_step_with_due_is_the_receivers_duty_breached_by_the_monitor_and_replayed_by_verify()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var (_, receiver, id) = await AcceptedAsync(await StepProtocolAsync());
        var referral = (await receiver.Caseworker.ReadAsync(id)).Referral;
        var duty = referral["duties"]!.AsArray().Single(d => d!["deadline"]!.GetValue<string>() == "step")!;
        Assert.Equal("advice", duty["step"]!.GetValue<string>());
        Assert.Equal(receiver.Id, duty["holderOrganisationId"]!.GetValue<Guid>());
        var acceptedAt = referral["updatedAt"]!.GetValue<DateTimeOffset>();
        Assert.Equal(acceptedAt.AddSeconds(30), duty["dueAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(acceptedAt.AddSeconds(30), referral["steps"]!.AsArray()[1]!["due"]!.GetValue<DateTimeOffset>());

        fixture.Time.Advance(TimeSpan.FromSeconds(40));
        await using (var scope = fixture.Factory.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<DeadlineMonitor>().RunOnceAsync(CancellationToken.None);
        Assert.Equal(1, await fixture.CountAsync(
            "SELECT COUNT(*) FROM deadline_breaches WHERE referral_id = @Id AND deadline = 'step' AND step_code = 'advice' AND acted_at IS NULL", new { Id = id }));
        var breach = Assert.Single(await AuditTestKit.AllPagesAsync(auditor, $"/api/v1/audit/deadline-breaches?referralId={id}&deadline=step", 100));
        Assert.Equal(receiver.Id, breach["holderOrganisationId"]!.GetValue<Guid>());
        Assert.Equal("advice", breach["step"]!.GetValue<string>()); // which step was missed, not only that one was
        Assert.Equal(1, await fixture.CountAsync(
            "SELECT COUNT(*) FROM referral_timeline WHERE referral_id = @Id AND action = 'deadline_missed' AND code = 'step:advice'", new { Id = id }));

        fixture.Time.Advance(TimeSpan.FromSeconds(5));
        var (_, etag) = await receiver.Caseworker.ReadAsync(id);
        var done = await StepAsync(receiver.Caseworker, id, "advice", etag);
        await TestNetwork.Expect(done, HttpStatusCode.OK);
        var closed = (await done.Content.ReadFromJsonAsync<JsonObject>())!["duties"]!.AsArray().Single(d => d!["deadline"]!.GetValue<string>() == "step")!;
        Assert.Equal("met", closed["closedBasis"]!.GetValue<string>());
        Assert.Equal(15, closed["lateBySeconds"]!.GetValue<long>());
        Assert.Equal(1, await fixture.CountAsync(
            "SELECT COUNT(*) FROM deadline_breaches WHERE referral_id = @Id AND step_code = 'advice' AND acted_at IS NOT NULL", new { Id = id }));
        // Every other duty of the referral is still there beside the step duty (the key is kind + step code).
        Assert.Equal(4, await fixture.CountAsync("SELECT COUNT(*) FROM referral_duties WHERE referral_id = @Id", new { Id = id }));

        var report = await AuditTestKit.VerifyAsync(auditor);
        Assert.True(report["ok"]!.GetValue<bool>(), report.ToJsonString());
    }
}

public sealed class ProtocolStepsTests_Sqlite(SqliteApiFixture fixture) : ProtocolStepsTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class ProtocolStepsTests_Postgres(PostgresApiFixture fixture) : ProtocolStepsTests(fixture), IClassFixture<PostgresApiFixture>;

[Trait("Database", "SqlServer")]
public sealed class ProtocolStepsTests_SqlServer(SqlServerApiFixture fixture) : ProtocolStepsTests(fixture), IClassFixture<SqlServerApiFixture>;
