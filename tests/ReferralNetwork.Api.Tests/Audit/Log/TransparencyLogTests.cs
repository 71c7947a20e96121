using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Features.Audit;
using ReferralNetwork.Transparency;
using Independent = ReferralNetwork.OfflineVerifier;

namespace ReferralNetwork.Api.Tests.Audit.Log;

/// <summary>
/// The transparency log through HTTP on each engine: proofs for every index and size of a log of a few thousand
/// events, checked against leaves recomputed here from the events table and the offline verifier's own RFC 9162
/// code; bad proof requests; logIndex on event answers; receipts on request and their tlog-proof; verify's log section.
/// </summary>
public abstract class TransparencyLogTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    [Fact]
    public async Task Proofs_verify_for_every_index_and_size_of_a_log_of_a_few_thousand_events()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var signed = new List<long>();
        foreach (var batch in new[] { 700, 1_300, 1_200 })
        {
            await LogTestKit.AppendEventsAsync(fixture, batch);
            signed.Add((await LogTestKit.CheckpointAsync(fixture)).TreeSize);
        }
        var size = signed[^1];
        Assert.True(size >= 3_200, $"the log holds {size} entries");
        var leaves = await LogTestKit.LeavesAsync(fixture);
        Assert.Equal(size, leaves.Count);
        var root = Independent.Tree.Root(leaves, (int)size);

        // The signed head is exactly the root recomputed here, signed by the log key.
        var head = await AuditTestKit.GetJsonAsync(auditor, "/api/v1/audit/log");
        Assert.Equal(size, head["signedSize"]!.GetValue<long>());
        var note = await auditor.GetStringAsync("/api/v1/audit/log/checkpoint");
        var parsed = Independent.Note.Parse(note);
        Assert.Equal((LogTestKit.Origin, size, Convert.ToBase64String(root)), (parsed.Origin, parsed.Size, Convert.ToBase64String(parsed.Root)));
        Assert.True(Independent.VerifierKey.Parse(head["verifierKey"]!.GetValue<string>()).Signed(parsed, out _), note);

        // Every index at the newest size (every seventh at the first signed size), every size's consistency with the newest head:
        // exhaustively through the log service the endpoints call (the HTTP layer adds authentication, binding and
        // logging, which are the same for every index), and every 40th of each through HTTP as a partner would.
        var prefixRoots = new byte[size + 1][];
        var frontier = new LogFrontier(0, []);
        prefixRoots[0] = frontier.Root();
        foreach (var leaf in leaves)
        {
            frontier.Append(leaf);
            prefixRoots[frontier.Size] = frontier.Root();
        }
        for (var m = 1; m <= size; m += 97) Assert.Equal(Independent.Tree.Root(leaves, m), prefixRoots[m]);
        var first = signed[0];
        var failures = new List<string>();
        await using (var scope = fixture.Factory.Services.CreateAsyncScope())
        {
            var log = scope.ServiceProvider.GetRequiredService<ITransparencyLog>();
            for (var i = 0; i < size; i++)
            {
                var proof = await log.InclusionAsync(i, size, CancellationToken.None);
                if (!Independent.Tree.Inclusion(i, size, leaves[i], proof.Hashes.Select(Convert.FromBase64String).ToList(), root)) failures.Add($"inclusion {i} in {size}");
                if (Convert.ToBase64String(leaves[i]) != proof.LeafHash) failures.Add($"leaf {i}");
                if (i >= first || i % 7 != 0) continue;
                proof = await log.InclusionAsync(i, first, CancellationToken.None);
                if (!Independent.Tree.Inclusion(i, first, leaves[i], proof.Hashes.Select(Convert.FromBase64String).ToList(), prefixRoots[first])) failures.Add($"inclusion {i} in {first}");
            }
            for (var m = 0; m <= size; m++)
            {
                var proof = await log.ConsistencyAsync(m, size, CancellationToken.None);
                if (!LogTree.VerifyConsistency(m, size, prefixRoots[m], root, proof.Hashes.Select(Convert.FromBase64String).ToList())) failures.Add($"consistency {m} → {size}");
            }
        }
        await ForAllAsync(Enumerable.Range(0, (int)size).Where(i => i % 40 == 0 || i == size - 1), async i =>
        {
            var proof = await LogTestKit.JsonAsync(await auditor.GetAsync($"/api/v1/audit/log/proof/inclusion?index={i}&size={size}"));
            if (!Independent.Tree.Inclusion(i, size, leaves[i], LogTestKit.Hashes(proof), root)) lock (failures) failures.Add($"HTTP inclusion {i} in {size}");
            var consistency = await LogTestKit.JsonAsync(await auditor.GetAsync($"/api/v1/audit/log/proof/consistency?from={i + 1}&to={size}"));
            if (!LogTree.VerifyConsistency(i + 1, size, prefixRoots[i + 1], root, LogTestKit.Hashes(consistency))) lock (failures) failures.Add($"HTTP consistency {i + 1} → {size}");
        });
        foreach (var (from, to) in signed.Zip(signed.Skip(1)))
        {
            var proof = await LogTestKit.JsonAsync(await auditor.GetAsync($"/api/v1/audit/log/proof/consistency?from={from}&to={to}"));
            Assert.True(LogTree.VerifyConsistency(from, to, prefixRoots[from], prefixRoots[to], LogTestKit.Hashes(proof)), $"{from} → {to}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} proofs failed: {string.Join(", ", failures.Take(20))}");
    }

    private static async Task ForAllAsync(IEnumerable<int> items, Func<int, Task> body) =>
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) => await body(i));

    [Fact]
    public async Task Bad_proof_requests_are_400_problems_and_sizes_stop_at_the_newest_signed_head()
    {
        var caseworker = (await _network.OrganisationAsync()).Caseworker;
        await LogTestKit.AppendEventsAsync(fixture, 10);
        var signedSize = (await LogTestKit.CheckpointAsync(fixture)).TreeSize;
        await LogTestKit.AppendEventsAsync(fixture, 10);
        await fixture.Factory.Services.GetRequiredService<ReferralNetwork.Infrastructure.Audit.Log.LogSequencer>().SequenceAsync(CancellationToken.None);

        // Any role may read proofs: they are hashes and sizes.
        await LogTestKit.JsonAsync(await caseworker.GetAsync($"/api/v1/audit/log/proof/inclusion?index=0&size={signedSize}"));
        foreach (var url in new[]
                 {
                     "/api/v1/audit/log/proof/inclusion", "/api/v1/audit/log/proof/inclusion?index=0", "/api/v1/audit/log/proof/inclusion?size=3",
                     "/api/v1/audit/log/proof/inclusion?index=-1&size=3", "/api/v1/audit/log/proof/inclusion?index=3&size=3",
                     "/api/v1/audit/log/proof/inclusion?index=0&size=0", "/api/v1/audit/log/proof/inclusion?index=x&size=3",
                     $"/api/v1/audit/log/proof/inclusion?index=0&size={signedSize + 1}", "/api/v1/audit/log/proof/inclusion?index=0&size=99999999999999999999",
                     "/api/v1/audit/log/proof/consistency", "/api/v1/audit/log/proof/consistency?from=2", "/api/v1/audit/log/proof/consistency?from=3&to=2",
                     "/api/v1/audit/log/proof/consistency?from=-1&to=2", $"/api/v1/audit/log/proof/consistency?from=1&to={signedSize + 1}",
                     "/api/v1/audit/receipts/abc",
                 })
        {
            using var response = await caseworker.GetAsync(url);
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{url}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        var tooLarge = await caseworker.GetAsync($"/api/v1/audit/log/proof/consistency?from=1&to={signedSize + 1}");
        Assert.Contains("newest signed tree size", await tooLarge.Content.ReadAsStringAsync());
        var empty = await LogTestKit.JsonAsync(await caseworker.GetAsync($"/api/v1/audit/log/proof/consistency?from=0&to={signedSize}"));
        Assert.Empty(empty["hashes"]!.AsArray());
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Client().GetAsync("/api/v1/audit/log/checkpoint")).StatusCode);
    }

    [Fact]
    public async Task A_receipt_on_request_names_the_log_index_and_becomes_a_tlog_proof_once_checkpointed()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var referrer = await _network.OrganisationAsync("centre_for_social_work");
        var receiver = await _network.OrganisationAsync("ngo");
        var outsider = await _network.OrganisationAsync("ngo");

        using var submit = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals") { Content = JsonContent.Create(TestNetwork.Referral(receiver.Id)) };
        submit.Headers.Add("Prefer", "return=receipt");
        using var submitted = await referrer.Caseworker.SendAsync(submit);
        await TestNetwork.Expect(submitted, HttpStatusCode.Created);
        Assert.Equal("return=receipt", submitted.Headers.GetValues("Preference-Applied").Single());
        var eventId = long.Parse(submitted.Headers.GetValues("Audit-Event-Id").Single());
        var logIndex = long.Parse(submitted.Headers.GetValues("Audit-Log-Index").Single());
        Assert.Contains($"</api/v1/audit/receipts/{eventId}>; rel=\"receipt\"", submitted.Headers.GetValues("Link"));
        var referral = (await submitted.Content.ReadFromJsonAsync<JsonObject>())!;
        var referralId = referral["id"]!.GetValue<Guid>();

        await using (var connection = await fixture.OpenAsync())
        {
            var row = await connection.QuerySingleAsync<(string StreamId, string Type, long LogIndex)>("""
                SELECT e.stream_id, e.type, l.log_index FROM audit_events e JOIN audit_log_entries l ON l.global_seq = e.global_seq WHERE e.global_seq = @Id
                """, new { Id = eventId });
            Assert.Equal(($"referral/{referralId}", logIndex), (row.StreamId, row.LogIndex));
        }

        // No signed head covers it yet: 202, pending, with the index. Another organisation may not see it at all.
        using (var pending = await referrer.Caseworker.GetAsync($"/api/v1/audit/receipts/{eventId}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, pending.StatusCode);
            var body = (await pending.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(("pending", logIndex), (body["status"]!.GetValue<string>(), body["logIndex"]!.GetValue<long>()));
        }
        await LogTestKit.ExpectProblemAsync(await outsider.Caseworker.GetAsync($"/api/v1/audit/receipts/{eventId}"), HttpStatusCode.NotFound);
        await LogTestKit.ExpectProblemAsync(await referrer.Caseworker.GetAsync($"/api/v1/audit/receipts/{long.MaxValue}"), HttpStatusCode.NotFound);

        // An action with Idempotency-Key and the preference: the receipt comes after the idempotent commit; a replay has none.
        var etag = referral["version"]!.GetValue<int>();
        HttpRequestMessage Acknowledge()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{referralId}/acknowledge");
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{etag}\"");
            request.Headers.Add("Idempotency-Key", "ack-" + referralId);
            request.Headers.Add("Prefer", "return=receipt");
            return request;
        }
        using var acknowledged = await receiver.Caseworker.SendAsync(Acknowledge());
        await TestNetwork.Expect(acknowledged, HttpStatusCode.OK);
        var ackIndex = long.Parse(acknowledged.Headers.GetValues("Audit-Log-Index").Single());
        Assert.True(ackIndex > logIndex);
        using var replayed = await receiver.Caseworker.SendAsync(Acknowledge());
        Assert.Equal("true", replayed.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.False(replayed.Headers.Contains("Audit-Log-Index"));

        // The auditor's event list carries the indices.
        var events = await AuditTestKit.GetJsonAsync(auditor, $"/api/v1/audit/referrals/{referralId}/events");
        var indices = events["items"]!.AsArray().Select(e => e!["logIndex"]?.GetValue<long>()).ToList();
        Assert.Equal(logIndex, indices[0]);
        Assert.Equal(ackIndex, indices[^1]);

        await LogTestKit.CheckpointAsync(fixture);
        using var ready = await referrer.Caseworker.GetAsync($"/api/v1/audit/receipts/{eventId}");
        await TestNetwork.Expect(ready, HttpStatusCode.OK);
        Assert.Equal("text/plain", ready.Content.Headers.ContentType?.MediaType);
        var proof = await ready.Content.ReadAsStringAsync();
        Assert.StartsWith("c2sp.org/tlog-proof@v1\nextra ", proof);
        Assert.Contains($"\nindex {logIndex}\n", proof);
        var extra = JsonDocument.Parse(Convert.FromBase64String(proof.Split('\n')[1]["extra ".Length..])).RootElement;
        Assert.Equal(eventId, extra.GetProperty("eventId").GetInt64());
        Assert.Contains("\"type\":\"referral.submitted\"", extra.GetProperty("event").GetString());
        Assert.DoesNotContain("Needs advice", proof);

        // Its proof verifies with the independent code against the signed note it carries.
        var blank = proof.IndexOf("\n\n", StringComparison.Ordinal);
        var path = proof[..blank].Split('\n').Skip(3).Select(Convert.FromBase64String).ToList();
        var note = Independent.Note.Parse(proof[(blank + 2)..]);
        var leaf = Independent.Tree.Leaf(Convert.FromHexString(extra.GetProperty("hash").GetString()!));
        Assert.True(Independent.Tree.Inclusion(logIndex, note.Size, leaf, path, note.Root));
        var vkey = (await AuditTestKit.GetJsonAsync(auditor, "/api/v1/audit/log"))["verifierKey"]!.GetValue<string>();
        Assert.True(Independent.VerifierKey.Parse(vkey).Signed(note, out _));
        await TestNetwork.Expect(await auditor.GetAsync($"/api/v1/audit/receipts/{eventId}"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task Verify_reports_the_log_and_finds_an_event_rewritten_after_it_was_logged()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        await LogTestKit.AppendEventsAsync(fixture, 40);
        var head = await LogTestKit.CheckpointAsync(fixture);
        var report = await AuditTestKit.VerifyAsync(auditor);
        Assert.True(report["ok"]!.GetValue<bool>(), report.ToJsonString());
        var log = report["log"]!.AsObject();
        Assert.True(log["ok"]!.GetValue<bool>());
        Assert.Equal(head.TreeSize, log["signedSize"]!.GetValue<long>());
        Assert.Equal(head.TreeSize, log["newestHead"]!["size"]!.GetValue<long>());
        Assert.True(log["checkpointsChecked"]!.GetValue<long>() >= 1);

        await using (await AuditTablesBackup.TakeAsync(fixture))
        {
            await using var connection = await fixture.OpenAsync();
            // Rewrite one logged event and its hash consistently, so that its own chain check would need the next event to notice.
            var victim = await connection.QuerySingleAsync<long>("SELECT MAX(global_seq) FROM audit_log_entries");
            await connection.ExecuteAsync("UPDATE audit_events SET hash = @Hash WHERE global_seq = @Id", new { Hash = new string('a', 64), Id = victim });
            var broken = await AuditTestKit.VerifyAsync(auditor);
            Assert.False(broken["ok"]!.GetValue<bool>());
            var reasons = broken["log"]!["problems"]!.AsArray().Select(p => p!["reason"]!.GetValue<string>()).ToList();
            Assert.Contains("log_entry_mismatch", reasons);
            Assert.Contains("log_root_mismatch", reasons);
        }
        Assert.True((await AuditTestKit.VerifyAsync(auditor))["ok"]!.GetValue<bool>());
    }
}

public sealed class LogSqliteFixture : SqliteApiFixture
{
    public static readonly string Key = Ed25519Key.NewPem();
    protected override IReadOnlyDictionary<string, string?> Settings => LogTestKit.Settings(Key);
}

public sealed class LogPostgresFixture : PostgresApiFixture
{
    public static readonly string Key = Ed25519Key.NewPem();
    protected override IReadOnlyDictionary<string, string?> Settings => LogTestKit.Settings(Key);
}

public sealed class TransparencyLogTests_Sqlite(LogSqliteFixture fixture) : TransparencyLogTests(fixture), IClassFixture<LogSqliteFixture>;

[Trait("Database", "Postgres")]
public sealed class TransparencyLogTests_Postgres(LogPostgresFixture fixture) : TransparencyLogTests(fixture), IClassFixture<LogPostgresFixture>;

public sealed class LogSqlServerFixture : SqlServerApiFixture
{
    public static readonly string Key = Ed25519Key.NewPem();
    protected override IReadOnlyDictionary<string, string?> Settings => LogTestKit.Settings(Key);
}

[Trait("Database", "SqlServer")]
public sealed class TransparencyLogTests_SqlServer(LogSqlServerFixture fixture) : TransparencyLogTests(fixture), IClassFixture<LogSqlServerFixture>;
