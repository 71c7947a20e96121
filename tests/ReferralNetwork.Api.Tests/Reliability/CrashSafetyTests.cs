using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Webhooks;
using ReferralNetwork.Application.Features.ApiKeys;
using ReferralNetwork.Infrastructure.Audit;
using Xunit.Abstractions;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Api.Tests.Reliability;

/// <summary>
/// The real binary is killed with SIGKILL at random moments (at least 20 times) while clients submit and acknowledge
/// concurrently, retrying with the same Idempotency-Key. Afterwards: every acknowledged write is there with all its
/// effects, no transition is half-applied, every hash chain verifies, nothing is duplicated, and the outbox still
/// delivers every event at least once.
/// </summary>
public abstract class CrashSafetyTests(ITestOutputHelper output)
{
    private const int Kills = 20;
    protected abstract Task<ITestDatabase> DatabaseAsync();
    private ITestDatabase _database = null!;

    private sealed record Acknowledged(string Key, Guid ReferralId);

    private sealed record ReferralState
    {
        public Guid Id { get; init; }
        public string Status { get; init; } = "";
        public int Version { get; init; }
    }

    private sealed record TimelineState
    {
        public Guid ReferralId { get; init; }
        public int Seq { get; init; }
        public string ToStatus { get; init; } = "";
    }

    [Fact]
    public async Task Killing_the_process_at_random_loses_no_acknowledged_write_and_duplicates_nothing()
    {
        ReferralNetwork.Infrastructure.Persistence.DapperTypes.Register(); // this test reads the database without a host
        _database = await DatabaseAsync();
        await using var _ = _database;
        await using var receiver = await WebhookReceiver.StartAsync(TimeProvider.System);
        var adminKey = ApiKeySecrets.NewKey();
        var port = ApiProcess.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["Database__Provider"] = _database.Provider,
            ["ConnectionStrings__ReferralNetwork"] = _database.ConnectionString,
            ["Bootstrap__NetworkAdminKey"] = adminKey,
            ["Encryption__MasterKey"] = ApiFixture.MasterKey,
            ["Audit__CheckpointSigningKey"] = ApiProcess.CheckpointSigningKeyPem,
            ["RateLimiting__Enabled"] = "false",
            ["Webhooks__AllowPrivateNetworks"] = "true",
            ["Webhooks__DispatchInterval"] = "00:00:00.200",
            ["Webhooks__Lease"] = "00:00:03",
            ["Deadlines__MonitorInterval"] = "01:00:00",
            // A key left in flight by a killed request is taken over after this (production: a minute).
            ["Idempotency__LockTimeout"] = "00:00:02",
        };
        var api = await ApiProcess.StartAsync(environment, port: port);
        // Whatever fails below, the process running now is stopped (a failed run must not leave an API behind).
        try
        {
            using var http = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            var keys = new KeyMaker(api.BaseAddress, adminKey);
            var (referrerKey, receiverKey, receiverId) = await NetworkAsync(http, adminKey, keys);
            var partnerKey = await keys.KeyAsync(receiverId, "partner_system", "cms");
            await PostForAsync(http, partnerKey, "/api/v1/webhooks", new { url = receiver.Url, events = Array.Empty<string>() }, "id");

            var acknowledgedSubmits = new ConcurrentBag<Acknowledged>();
            var acknowledgedAcks = new ConcurrentBag<Guid>();
            var keysUsed = new ConcurrentBag<string>();
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
            {
                using var referrer = Client(api.BaseAddress, referrerKey);
                using var inbox = Client(api.BaseAddress, receiverKey);
                var random = new Random(w);
                while (!stop.IsCancellationRequested)
                {
                    var key = $"crash-{w}-{Guid.NewGuid():N}";
                    keysUsed.Add(key);
                    var id = await SubmitUntilAnsweredAsync(referrer, key, TestNetwork.Referral(receiverId, reason: $"crash test {key}"));
                    acknowledgedSubmits.Add(new Acknowledged(key, id));
                    if (random.Next(2) == 0 && await AcknowledgeUntilAnsweredAsync(inbox, id)) acknowledgedAcks.Add(id);
                }
            })).ToList();

            var killer = new Random(42);
            for (var kill = 0; kill < Kills; kill++)
            {
                await Task.Delay(killer.Next(150, 700));
                api.Kill();
                await api.DisposeAsync();
                api = await ApiProcess.StartAsync(environment, port: port, timeout: TimeSpan.FromSeconds(60));
            }
            await Task.Delay(500);
            await stop.CancelAsync();
            await Task.WhenAll(workers);

            // Every key a client ever sent, resent now: the answer is the one stored, never a second referral.
            using var referrerClient = Client(api.BaseAddress, referrerKey);
            var byKey = acknowledgedSubmits.ToDictionary(a => a.Key, a => a.ReferralId);
            foreach (var key in keysUsed.Except(byKey.Keys))
                byKey[key] = await SubmitUntilAnsweredAsync(referrerClient, key, TestNetwork.Referral(receiverId, reason: $"crash test {key}"));
            foreach (var acknowledged in acknowledgedSubmits.Take(25))
                Assert.Equal(acknowledged.ReferralId, await SubmitUntilAnsweredAsync(referrerClient, acknowledged.Key, TestNetwork.Referral(receiverId, reason: $"crash test {acknowledged.Key}")));

            await using var connection = await OpenAsync();
            var referrals = (await connection.QueryAsync<ReferralState>("SELECT id, status, version FROM referrals")).ToList();
            output.WriteLine($"{_database.Provider}: {Kills} kills survived, {keysUsed.Count} submissions ({acknowledgedSubmits.Count} answered 201 during the kills), " +
                $"{acknowledgedAcks.Count} acknowledges answered 200, {referrals.Count} referrals stored, 0 lost, 0 duplicated");
            Assert.Equal(byKey.Count, referrals.Count);                       // zero duplicates, zero losses
            Assert.Equal(byKey.Values.Distinct().Count(), byKey.Count);
            Assert.Empty(byKey.Values.Except(referrals.Select(r => r.Id)));     // every acknowledged referral exists
            var lostAcks = acknowledgedAcks.Where(id => referrals.Single(r => r.Id == id).Status != "received").ToList();
            Assert.True(lostAcks.Count == 0, $"acknowledged but not received: {string.Join(", ", lostAcks)}");

            // No half-applied transition: status, version, timeline, responsibility and audit agree for every referral.
            var timeline = (await connection.QueryAsync<TimelineState>("SELECT referral_id AS ReferralId, seq, to_status AS ToStatus FROM referral_timeline ORDER BY referral_id, seq"))
                .ToLookup(t => t.ReferralId);
            var open = (await connection.QueryAsync<TimelineState>("SELECT referral_id AS ReferralId FROM responsibility_periods WHERE until_at IS NULL")).ToLookup(x => x.ReferralId);
            var events = (await connection.QueryAsync<string>("SELECT stream_id FROM audit_events WHERE type LIKE 'referral.%'")).ToLookup(x => x);
            foreach (var referral in referrals)
            {
                var rows = timeline[referral.Id].ToList();
                Assert.Equal(referral.Version, rows.Count);
                Assert.Equal(referral.Status, rows.Last().ToStatus);
                Assert.Single(open[referral.Id]);
                Assert.Equal(rows.Count, events[$"referral/{referral.Id}"].Count());
            }
            await AssertChainsVerifyAsync(connection);

            // The outbox delivers every event at least once, even those whose process died mid-delivery.
            var messages = (await connection.QueryAsync<ReferralState>("SELECT id FROM outbox_messages")).ToList();
            var deadline = DateTime.UtcNow.AddSeconds(90);
            long pending;
            do
            {
                await Task.Delay(500);
                pending = await connection.ExecuteScalarAsync<long>(
                    "SELECT (SELECT COUNT(*) FROM outbox_messages WHERE fanned_out_at IS NULL) + (SELECT COUNT(*) FROM webhook_deliveries WHERE state <> 'delivered')");
            } while (pending > 0 && DateTime.UtcNow < deadline);
            Assert.Equal(0, pending);
            var deliveries = (await connection.QueryAsync<ReferralState>("SELECT id FROM webhook_deliveries")).Select(d => d.Id).ToList();
            var received = receiver.Received.Select(r => Guid.TryParse(r.Id, out var id) ? id : Guid.Empty).ToHashSet();
            Assert.Equal(messages.Count, deliveries.Count);
            Assert.All(deliveries, d => Assert.Contains(d, received));
        }
        finally
        {
            await api.DisposeAsync();
        }
    }

    /// <summary>
    /// How long a client keeps retrying one request. On a loaded machine a restart can take most of a minute and the
    /// process then lives only until the next kill: a retry window spanning a few restarts keeps the test about lost or
    /// duplicated writes, not about how fast this machine restarts a process.
    /// </summary>
    private static readonly TimeSpan RetryFor = TimeSpan.FromMinutes(4);

    private static HttpClient Client(Uri address, string key)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A partner's retry loop: the same key and body until an answer arrives (connection errors and 409 in-flight are retried).</summary>
    private static async Task<Guid> SubmitUntilAnsweredAsync(HttpClient client, string key, object body)
    {
        var last = "nothing";
        for (var deadline = DateTime.UtcNow.Add(RetryFor); DateTime.UtcNow < deadline;)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals") { Content = JsonContent.Create(body) };
                request.Headers.Add("Idempotency-Key", key);
                using var response = await client.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.Created) return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
                if (response.StatusCode != HttpStatusCode.Conflict && (int)response.StatusCode < 500)
                    throw new Xunit.Sdk.XunitException($"submit answered {last}");
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                last = e.GetType().Name + ": " + e.Message;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"the API never answered the submission; last: {last}");
    }

    /// <summary>Acknowledges with If-Match and an Idempotency-Key, retrying through crashes; true once the API answered 200.</summary>
    private static async Task<bool> AcknowledgeUntilAnsweredAsync(HttpClient client, Guid id)
    {
        var key = $"ack-{id:N}";
        for (var deadline = DateTime.UtcNow.Add(RetryFor); DateTime.UtcNow < deadline;)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{id}/acknowledge");
                request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
                request.Headers.Add("Idempotency-Key", key);
                using var response = await client.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK) return true;
                if (response.StatusCode != HttpStatusCode.Conflict && (int)response.StatusCode < 500)
                    throw new Xunit.Sdk.XunitException($"acknowledge answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
            catch (Exception e) when (IsConnectionFailure(e)) { }
            await Task.Delay(50);
        }
        return false;
    }

    /// <summary>What a client sees while the process is down or dying: refused, reset or half-open connections.</summary>
    private static bool IsConnectionFailure(Exception e) =>
        e is HttpRequestException or TaskCanceledException or System.Net.Sockets.SocketException or IOException;

    private async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = _database.Provider == "postgres" ? new NpgsqlConnection(_database.ConnectionString) : new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task AssertChainsVerifyAsync(DbConnection connection)
    {
        var events = (await connection.QueryAsync<AuditEventRow>("""
            SELECT global_seq AS GlobalSeq, stream_id AS StreamId, seq, occurred_at AS OccurredAt, principal_id AS PrincipalId,
                   organisation_id AS OrganisationId, role, type, data, prev_hash AS PrevHash, hash
            FROM audit_events ORDER BY stream_id, seq
            """)).ToList();
        var heads = (await connection.QueryAsync<(string StreamId, long Seq, string Hash)>("SELECT stream_id AS StreamId, seq, hash FROM audit_stream_heads"))
            .ToDictionary(h => h.StreamId);
        foreach (var stream in events.GroupBy(e => e.StreamId))
        {
            var previous = AuditChain.Genesis;
            var seq = 1L;
            foreach (var e in stream)
            {
                Assert.Equal(seq++, e.Seq);
                Assert.Equal(previous, e.PrevHash);
                Assert.Equal(e.Hash, AuditChain.Recompute(e));
                previous = e.Hash;
            }
            Assert.Equal((stream.Last().Seq, stream.Last().Hash), (heads[stream.Key].Seq, heads[stream.Key].Hash));
        }
        Assert.Equal(heads.Count, events.Select(e => e.StreamId).Distinct().Count());
    }

    private static async Task<(string ReferrerKey, string ReceiverKey, Guid ReceiverId)> NetworkAsync(HttpClient http, string adminKey, KeyMaker keys)
    {
        var referrer = Guid.Parse(await PostForAsync(http, adminKey, "/api/v1/organisations",
            new { name = "CSW crash", kind = "centre_for_social_work", municipality = "Beograd", services = new[] { "guardianship" }, languages = new[] { "sr" } }, "id"));
        var receiver = Guid.Parse(await PostForAsync(http, adminKey, "/api/v1/organisations",
            new { name = "NGO crash", kind = "ngo", municipality = "Beograd", services = new[] { "legal_aid" }, languages = new[] { "sr" } }, "id"));
        return (await keys.KeyAsync(referrer, "caseworker"), await keys.KeyAsync(receiver, "caseworker"), receiver);
    }

    private static async Task<string> PostForAsync(HttpClient http, string key, string path, object body, string field)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request);
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())![field]!.ToString();
    }
}

public sealed class CrashSafetyTests_Sqlite(ITestOutputHelper output) : CrashSafetyTests(output)
{
    protected override Task<ITestDatabase> DatabaseAsync() => Task.FromResult<ITestDatabase>(new SqliteTestDatabase());
}

[Trait("Database", "Postgres")]
public sealed class CrashSafetyTests_Postgres(ITestOutputHelper output) : CrashSafetyTests(output)
{
    protected override async Task<ITestDatabase> DatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}
