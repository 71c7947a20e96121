using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Lifecycle;

namespace ReferralNetwork.Api.Tests.Audit;

/// <summary>
/// The export carries what an auditor outside the system needs to rebuild the trails and breaches from the chained
/// events alone: <see cref="ExportVerifier"/> (written from the documented formats, sharing no code with the API)
/// replays them, and they must be exactly what GET /audit/referrals/{id}/responsibility and /audit/deadline-breaches serve.
/// </summary>
public abstract class AuditExportReplayTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private static object Body(Guid receiver, string protocol) => new
    {
        receiverOrganisationId = receiver, services = new[] { "legal_aid" }, urgency = "urgent", reason = "Needs advice on the asylum procedure",
        person = TestNetwork.Person(), consent = new { givenBy = "person", method = "written" }, protocolCode = protocol,
    };

    [Fact]
    public async Task The_export_replays_into_the_trails_and_breaches_the_api_serves()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var protocol = await AuditTestKit.FastProtocolAsync(fixture); // acknowledge 2 s, decide 5 s, follow-up 10 s
        var referrer = await _network.OrganisationAsync("ngo");
        var receiver = await _network.OrganisationAsync("ngo");
        // Served late: acknowledge missed, accepted within decide, then followed up late and completed.
        var served = LifecycleApi.IdOf(await _network.SubmitAsync(referrer, receiver, Body(receiver.Id, protocol)));
        // Left waiting: acknowledge and decide both missed, still open when exported.
        var waiting = LifecycleApi.IdOf(await _network.SubmitAsync(referrer, receiver, Body(receiver.Id, protocol)));
        // Declined in time: no breach, the responsibility returns to the referrer and the trail closes.
        var declined = LifecycleApi.IdOf(await _network.SubmitAsync(referrer, receiver, Body(receiver.Id, protocol)));
        await receiver.Caseworker.MoveAsync(declined, "decline", new { reasonCode = "no_capacity", note = "Full until next month" });
        fixture.Time.Advance(TimeSpan.FromSeconds(3));
        await AuditTestKit.RunDeadlineMonitorAsync(fixture);
        await receiver.Caseworker.MoveAsync(served, "accept");
        await receiver.Caseworker.MoveAsync(served, "start");
        await AuditTestKit.CheckpointAsync(fixture);
        fixture.Time.Advance(TimeSpan.FromSeconds(12));
        await AuditTestKit.RunDeadlineMonitorAsync(fixture);
        await receiver.Caseworker.MoveAsync(served, "complete", new { outcome = "service_provided", note = "Advice given" });
        fixture.Time.Advance(TimeSpan.FromSeconds(1));

        var pem = (await AuditTestKit.GetJsonAsync(auditor, "/api/v1/audit/public-key"))["publicKeyPem"]!.GetValue<string>();
        var anchor = AuditTestKit.AnchorOf(await AuditTestKit.VerifyAsync(auditor));
        var export = ExportVerifier.Verify(await auditor.GetStringAsync("/api/v1/audit/export"), pem, anchor);
        Assert.True(export.Ok, string.Join("\n", export.Problems));

        var breaches = (await AuditTestKit.AllPagesAsync(auditor, "/api/v1/audit/deadline-breaches", 100)).ToList();
        foreach (var id in new[] { served, waiting, declined })
        {
            var trail = await AuditTestKit.GetJsonAsync(auditor, $"/api/v1/audit/referrals/{id}/responsibility");
            var fromApi = trail["periods"]!.AsArray().Select(p => new ExportVerifier.TrailPeriod(p!["organisationId"]!.GetValue<Guid>(),
                p["from"]!.GetValue<DateTimeOffset>(), p["until"]?.GetValue<DateTimeOffset>(), p["basis"]!.GetValue<string>(), p["closedBasis"]?.GetValue<string>()));
            Assert.Equal(export.Trails[id], fromApi);

            var listed = breaches.Where(b => b["referralId"]!.GetValue<Guid>() == id).Select(b => (
                new ExportVerifier.Breach(id, b["deadline"]!.GetValue<string>(), b["holderOrganisationId"]!.GetValue<Guid>(),
                    b["responsibleOrganisationId"]!.GetValue<Guid>(), b["dueAt"]!.GetValue<DateTimeOffset>(), b["detectedAt"]!.GetValue<DateTimeOffset>(),
                    b["actedAt"]?.GetValue<DateTimeOffset>(), b["protocolCode"]!.GetValue<string>(), b["protocolVersion"]!.GetValue<int>()),
                b["lateBySeconds"]!.GetValue<long>())).OrderBy(b => b.Item1.Deadline, StringComparer.Ordinal).ToList();
            var replayed = export.Breaches.Where(b => b.ReferralId == id).OrderBy(b => b.Deadline, StringComparer.Ordinal)
                .Select(b => (b, b.LateBySeconds(export.ExportedAt))).ToList();
            Assert.Equal(replayed, listed);
        }

        // The scenario is not empty: each referral shows what it was built to show.
        Assert.Equal([referrer.Id, receiver.Id], export.Trails[served].Select(p => p.OrganisationId));
        Assert.NotNull(export.Trails[served][^1].Until);
        Assert.Equal(["acknowledge", "follow_up"], export.Breaches.Where(b => b.ReferralId == served).Select(b => b.Deadline).Order(StringComparer.Ordinal));
        Assert.All(export.Breaches.Where(b => b.ReferralId == served), b => Assert.NotNull(b.ActedAt));
        Assert.Equal(["acknowledge", "decide"], export.Breaches.Where(b => b.ReferralId == waiting).Select(b => b.Deadline).Order(StringComparer.Ordinal));
        Assert.All(export.Breaches.Where(b => b.ReferralId == waiting), b => Assert.Null(b.ActedAt));
        Assert.DoesNotContain(export.Breaches, b => b.ReferralId == declined);
        Assert.Equal(referrer.Id, export.Trails[declined][^1].OrganisationId);
    }

    [Fact]
    public async Task An_export_without_the_anchored_checkpoint_or_with_another_root_fails_offline()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        await _network.OrganisationAsync();
        await AuditTestKit.CheckpointAsync(fixture);
        var anchor = AuditTestKit.AnchorOf(await AuditTestKit.VerifyAsync(auditor));
        var pem = (await AuditTestKit.GetJsonAsync(auditor, "/api/v1/audit/public-key"))["publicKeyPem"]!.GetValue<string>();
        var ndjson = await auditor.GetStringAsync("/api/v1/audit/export");

        Assert.True(ExportVerifier.Verify(ndjson, pem, anchor).Ok);
        Assert.Contains(ExportVerifier.Verify(ndjson, pem, (anchor.Checkpoint + 1, anchor.Root)).Problems, p => p.Contains("is not in the file"));
        Assert.Contains(ExportVerifier.Verify(ndjson, pem, (anchor.Checkpoint, new string('0', 64))).Problems, p => p.Contains("not the anchored"));
    }
}

public sealed class AuditExportReplayTests_Sqlite(SqliteApiFixture fixture) : AuditExportReplayTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class AuditExportReplayTests_Postgres(PostgresApiFixture fixture) : AuditExportReplayTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class AuditExportReplayTests_SqlServer(SqlServerApiFixture fixture) : AuditExportReplayTests(fixture), IClassFixture<SqlServerApiFixture>;
