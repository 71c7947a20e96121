using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Features.ApiKeys;
using Xunit.Abstractions;

namespace ReferralNetwork.Api.Tests.Reliability;

/// <summary>
/// The restore drill an operator should run, as a test: eight writers submit referrals and act on them (acknowledge,
/// accept, start) against the real API process; a backup is taken mid-load by the engine's own tool; the copy is
/// restored into a fresh place and served. Then every write answered before the backup started is in it, no
/// transition is half-applied, <c>verify-backup</c> (with the anchor an auditor kept before the backup) and
/// <c>GET /audit/verify</c> pass, and a tampered copy fails verification.
/// </summary>
public abstract class RestoreDrillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Writers = 8;
    private const int MinimumWritesBeforeBackup = 60;
    protected static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);
    protected ITestOutputHelper Output { get; } = output;

    /// <summary>Databases and folders the drill made, removed after it.</summary>
    protected List<IAsyncDisposable> Cleanup { get; } = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(Cleanup)) await item.DisposeAsync();
    }

    /// <summary>A write the API answered (201 or 200): the referral and the version it then had, and when the answer came.</summary>
    private sealed record AnsweredWrite(Guid ReferralId, int Version, long AnsweredAt);

    /// <summary>An anchor as an auditor keeps it: a checkpoint's sequence and root, copied out of the system.</summary>
    protected sealed record Anchor(long Sequence, string Root);

    /// <summary>The settings of the API being backed up (database and data folder included).</summary>
    protected abstract Task<Dictionary<string, string>> LiveDatabaseAsync();

    /// <summary>Takes the backup with the engine's tool while the API serves; returns what <see cref="RestoreAsync"/> needs.</summary>
    protected abstract Task<string> BackupAsync(Dictionary<string, string> live);

    /// <summary>Restores the backup into a fresh place; returns the settings of an API serving the restored copy.</summary>
    protected abstract Task<Dictionary<string, string>> RestoreAsync(Dictionary<string, string> live, string backup);

    /// <summary>verify-backup's arguments for the backup (or, with none, the restored database the settings name).</summary>
    protected abstract string[] VerifyTarget(string backup);

    protected abstract Task<DbConnection> OpenAsync(Dictionary<string, string> settings);

    /// <summary>The engine's own ways of failing a copy that someone changed; each must make verify-backup exit non-zero.</summary>
    protected abstract Task TamperedCopiesFailAsync(Dictionary<string, string> restored, string backup, Anchor anchor, ApiProcess api);

    [Fact]
    public async Task A_backup_taken_under_load_restores_whole_serves_and_verifies_and_a_tampered_copy_does_not()
    {
        ReferralNetwork.Infrastructure.Persistence.DapperTypes.Register(); // this test reads the databases without a host
        var adminKey = ApiKeySecrets.NewKey();
        var live = await LiveDatabaseAsync();
        live["Bootstrap__NetworkAdminKey"] = adminKey;
        live["Encryption__MasterKey"] = ApiFixture.MasterKey;
        live["Encryption__MasterKeyId"] = "drill-1";
        live["Audit__CheckpointSigningKey"] = NewSigningKey();
        live["Audit__CheckpointInterval"] = "00:00:00.300";
        live["RateLimiting__Enabled"] = "false";
        live["Deadlines__MonitorInterval"] = "01:00:00";

        string backup;
        Anchor anchor;
        var answered = new ConcurrentBag<AnsweredWrite>();
        var failures = new ConcurrentBag<string>();
        long backupStarted;
        string auditorKey, referrerKey;
        await using (var api = await ApiProcess.StartAsync(live))
        {
            using var admin = Client(api, adminKey);
            var referrer = await OrganisationAsync(admin, "centre_for_social_work");
            var receiver = await OrganisationAsync(admin, "ngo");
            var coordinator = await OrganisationAsync(admin, "network_coordinator");
            referrerKey = await KeyAsync(admin, referrer, "caseworker");
            var receiverKey = await KeyAsync(admin, receiver, "caseworker");
            auditorKey = await KeyAsync(admin, coordinator, "auditor");

            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                using var from = Client(api, referrerKey);
                using var to = Client(api, receiverKey);
                var random = new Random(w);
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var submitted = await from.PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(receiver, reason: $"drill {w}/{i}"));
                    if (submitted.StatusCode != HttpStatusCode.Created)
                    {
                        failures.Add($"submit {(int)submitted.StatusCode}: {await submitted.Content.ReadAsStringAsync()}");
                        continue;
                    }
                    var referral = (await submitted.Content.ReadFromJsonAsync<JsonObject>())!;
                    var id = referral["id"]!.GetValue<Guid>();
                    var version = referral["version"]!.GetValue<int>();
                    answered.Add(new AnsweredWrite(id, version, Stopwatch.GetTimestamp()));
                    foreach (var action in new[] { "acknowledge", "accept", "start" }.Take(random.Next(4)))
                    {
                        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{id}/{action}");
                        request.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
                        using var acted = await to.SendAsync(request);
                        if (acted.StatusCode != HttpStatusCode.OK)
                        {
                            failures.Add($"{action} {(int)acted.StatusCode}: {await acted.Content.ReadAsStringAsync()}");
                            break;
                        }
                        version = (await acted.Content.ReadFromJsonAsync<JsonObject>())!["version"]!.GetValue<int>();
                        answered.Add(new AnsweredWrite(id, version, Stopwatch.GetTimestamp()));
                    }
                }
            })).ToList();

            // Load first, and a checkpoint an auditor has copied out; then the backup, with the writers still going.
            for (var deadline = DateTime.UtcNow.AddSeconds(90); answered.Count < MinimumWritesBeforeBackup && failures.IsEmpty; await Task.Delay(100))
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"only {answered.Count} writes answered in 90 s");
            anchor = await NewestCheckpointAsync(live, TimeSpan.FromSeconds(30));
            backupStarted = Stopwatch.GetTimestamp();
            var duringBackup = answered.Count;
            backup = await BackupAsync(live);
            Output.WriteLine($"{answered.Count - duringBackup} writes answered while the backup ran");
            await Task.Delay(TimeSpan.FromSeconds(0.5));
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }
        Assert.Empty(failures);
        var before = answered.Where(a => a.AnsweredAt < backupStarted).ToList();
        Assert.True(before.Count >= MinimumWritesBeforeBackup, $"only {before.Count} writes were answered before the backup started");

        var restored = await RestoreAsync(live, backup);
        await using var served = await ApiProcess.StartAsync(restored, timeout: TimeSpan.FromSeconds(60));

        // Every write answered before the backup began is in the copy (a later action may be too, never an earlier state).
        await using (var connection = await OpenAsync(restored))
        {
            var versions = (await connection.QueryAsync<(Guid Id, int Version)>("SELECT id, version FROM referrals")).ToDictionary(r => r.Id, r => r.Version);
            var missing = before.Where(w => !versions.TryGetValue(w.ReferralId, out var v) || v < w.Version).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} writes answered before the backup started are missing, e.g. {missing.FirstOrDefault()}");
            await AssertNothingHalfAppliedAsync(connection);
            Output.WriteLine($"{answered.Count} writes answered by {Writers} writers, {before.Count} before the backup started; " +
                $"the restored copy holds {versions.Count} referrals; anchor checkpoint {anchor.Sequence}");
        }

        // Served: the referrals read back through the API, and the auditor's verify passes on the restored database.
        using (var auditor = Client(served, auditorKey))
        {
            var verify = await auditor.GetFromJsonAsync<JsonObject>("/api/v1/audit/verify");
            Assert.True(verify!["ok"]!.GetValue<bool>(), verify.ToJsonString());
        }
        using (var referrer = Client(served, referrerKey))
        {
            foreach (var write in before.GroupBy(w => w.ReferralId).Select(g => g.MaxBy(w => w.Version)!).Take(25))
            {
                var read = await referrer.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{write.ReferralId}");
                Assert.True(read!["version"]!.GetValue<int>() >= write.Version, read.ToJsonString());
            }
        }

        var verified = await ApiProcess.RunAsync(restored, CommandTimeout,
            ["verify-backup", .. VerifyTarget(backup), "--checkpoint", anchor.Sequence.ToString(), "--root", anchor.Root]);
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Contains("verify-backup: OK", verified.Output);
        Output.WriteLine(verified.Output);

        var wrongRoot = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var forged = await ApiProcess.RunAsync(restored, CommandTimeout,
            ["verify-backup", .. VerifyTarget(backup), "--checkpoint", anchor.Sequence.ToString(), "--root", wrongRoot]);
        Assert.True(forged.ExitCode == 1, forged.ToString());
        Assert.Contains($"anchor_mismatch checkpoint {anchor.Sequence} Checkpoint {anchor.Sequence} has root {anchor.Root}, not the anchored {wrongRoot}", forged.Error);

        await TamperedCopiesFailAsync(restored, backup, anchor, served);
    }

    /// <summary>Status, version, timeline, responsibility and audit agree for every referral: no change landed half.</summary>
    private static async Task AssertNothingHalfAppliedAsync(DbConnection connection)
    {
        var referrals = (await connection.QueryAsync<(Guid Id, string Status, int Version)>("SELECT id, status, version FROM referrals")).ToList();
        var timeline = (await connection.QueryAsync<(Guid ReferralId, int Seq, string ToStatus)>(
            "SELECT referral_id, seq, to_status FROM referral_timeline ORDER BY referral_id, seq")).ToLookup(t => t.ReferralId);
        var open = (await connection.QueryAsync<Guid>("SELECT referral_id FROM responsibility_periods WHERE until_at IS NULL")).ToLookup(id => id);
        var events = (await connection.QueryAsync<string>("SELECT stream_id FROM audit_events WHERE type LIKE 'referral.%'")).ToLookup(s => s);
        foreach (var (id, status, version) in referrals)
        {
            var rows = timeline[id].ToList();
            Assert.Equal(version, rows.Count);
            Assert.Equal(status, rows[^1].ToStatus);
            Assert.Single(open[id]);
            Assert.Equal(rows.Count, events[$"referral/{id}"].Count());
        }
    }

    /// <summary>Waits for the checkpointer of the live API to seal one, and reads the newest as an auditor would keep it.</summary>
    private async Task<Anchor> NewestCheckpointAsync(Dictionary<string, string> live, TimeSpan timeout)
    {
        for (var deadline = DateTime.UtcNow + timeout; DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            await using var connection = await OpenAsync(live);
            var newest = await connection.QueryFirstOrDefaultAsync<(long Sequence, string Root)>(
                "SELECT sequence, root_hash FROM audit_checkpoints WHERE sequence = (SELECT MAX(sequence) FROM audit_checkpoints)");
            if (newest.Sequence > 0) return new Anchor(newest.Sequence, newest.Root);
        }
        throw new TimeoutException("the live API sealed no checkpoint");
    }

    protected static string NewSigningKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }

    protected static HttpClient Client(ApiProcess api, string key)
    {
        var client = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static async Task<Guid> OrganisationAsync(HttpClient admin, string kind)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/organisations", new
        {
            name = $"Drill {kind}", kind, municipality = "Beograd", services = new[] { "legal_aid", "integration_support" }, languages = new[] { "sr" },
        });
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
    }

    /// <summary>
    /// A key of the organisation. The network admin grants only auditor keys and an organisation's first org_admin key;
    /// every role that reads personal data comes from that org_admin (issue 14).
    /// </summary>
    private static async Task<string> KeyAsync(HttpClient admin, Guid organisation, string role)
    {
        if (role is "auditor" or "org_admin") return await CreateKeyAsync(admin, organisation, role);
        using var orgAdmin = new HttpClient { BaseAddress = admin.BaseAddress };
        orgAdmin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            await CreateKeyAsync(admin, organisation, "org_admin"));
        return await CreateKeyAsync(orgAdmin, organisation, role);
    }

    private static async Task<string> CreateKeyAsync(HttpClient client, Guid organisation, string role)
    {
        var response = await client.PostAsJsonAsync($"/api/v1/organisations/{organisation}/api-keys", new { name = $"drill {role}", roles = new[] { role } });
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
    }
}
