using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Transparency;

namespace ReferralNetwork.Api.Tests.Audit.Log;

/// <summary>
/// The witness as a real second process, and the offline verifier as a third, on every engine: the API collects
/// cosignatures of consistent heads; after a rollback and after a fork the witness refuses (409, then 422 for the
/// fork's proof); verify reports it; and the offline verifier, given the receipt and the checkpoint an auditor kept
/// from before, proves both from the later export.
/// </summary>
public abstract class WitnessTests(ApiFixture fixture, WitnessSetup witness)
{
    private readonly TestNetwork _network = new(fixture);

    [Fact]
    public async Task A_witness_cosigns_consistent_heads_refuses_a_rolled_back_or_forked_log_and_the_offline_verifier_proves_it()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var referrer = await _network.OrganisationAsync("centre_for_social_work");
        var receiver = await _network.OrganisationAsync("ngo");
        var work = Directory.CreateTempSubdirectory("rn-offline-").FullName;
        var logKey = (await AuditTestKit.GetJsonAsync(auditor, "/api/v1/audit/log"))["verifierKey"]!.GetValue<string>();
        Assert.Equal(LogTestKit.VerifierKey(witness.LogKey), logKey);

        // 1. A first head, cosigned: the witness checked it from size 0 and kept it.
        await LogTestKit.AppendEventsAsync(fixture, 50);
        var head1 = await LogTestKit.CheckpointAsync(fixture);
        Assert.Equal([head1.TreeSize], await CosignedSizesAsync());
        var state = await File.ReadAllTextAsync(witness.Process!.StateFile);
        Assert.Contains($"\"Size\":{head1.TreeSize}", state);
        await using var beforeReferral = await LogTablesBackup.TakeAsync(fixture);

        // 2. A referral with a receipt, more events, a second head cosigned through a consistency proof from the first.
        using var submit = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals") { Content = JsonContent.Create(TestNetwork.Referral(receiver.Id)) };
        submit.Headers.Add("Prefer", "return=receipt");
        using var submitted = await referrer.Caseworker.SendAsync(submit);
        await TestNetwork.Expect(submitted, HttpStatusCode.Created);
        var eventId = long.Parse(submitted.Headers.GetValues("Audit-Event-Id").Single());
        await LogTestKit.AppendEventsAsync(fixture, 30);
        var head2 = await LogTestKit.CheckpointAsync(fixture);
        Assert.Equal([head1.TreeSize, head2.TreeSize], await CosignedSizesAsync());
        var kept = await referrer.Caseworker.GetStringAsync("/api/v1/audit/log/checkpoint");
        Assert.Contains($"\u2014 {WitnessSetup.Name} ", kept);
        var receipt = await referrer.Caseworker.GetStringAsync($"/api/v1/audit/receipts/{eventId}");
        Assert.Contains($"\u2014 {WitnessSetup.Name} ", receipt);
        var keptFile = Path.Combine(work, "checkpoint-kept.txt");
        var receiptFile = Path.Combine(work, "referral.tlog-proof");
        await File.WriteAllTextAsync(keptFile, kept);
        await File.WriteAllTextAsync(receiptFile, receipt);

        var report = await AuditTestKit.VerifyAsync(auditor);
        Assert.True(report["ok"]!.GetValue<bool>(), report.ToJsonString());
        var seen = report["log"]!["witnesses"]![0]!;
        Assert.True(seen["cosignedNewestHead"]!.GetValue<bool>());
        Assert.Equal(head2.TreeSize, seen["witnessReportsSize"]!.GetValue<long>());

        // The offline verifier, a separate program, accepts the export (with a stream-head checkpoint), the kept checkpoint and the receipt.
        await AuditTestKit.CheckpointAsync(fixture);
        var (exit, output) = await OfflineAsync(auditor, work, "export-1.ndjson", keptFile, receiptFile);
        Assert.True(exit == 0, output);
        Assert.Contains($"cosigned by {WitnessSetup.Name}", output);
        Assert.Contains("the inclusion proof binds it", output);
        Assert.Contains("stream-head checkpoints: 1 ECDSA signatures and Merkle roots verify", output);
        Assert.Contains("VERIFIED", output);

        // 3. A rollback: the database is restored to before the referral, and the log carries on with other events.
        await beforeReferral.RestoreAsync();
        await LogTestKit.AppendEventsAsync(fixture, 10, prefix: "after-rollback");
        var head3 = await LogTestKit.CheckpointAsync(fixture);
        Assert.True(head3.TreeSize < head2.TreeSize);
        Assert.Equal([head1.TreeSize], await CosignedSizesAsync());
        // The same request the API made: its old size is the last one it remembers; the witness answers 409 with its own.
        using (var refused = await AddCheckpointAsync(head1.TreeSize, head3))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal("text/x.tlog.size", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal($"{head2.TreeSize}\n", await refused.Content.ReadAsStringAsync());
        }
        var rolledBack = await AuditTestKit.VerifyAsync(auditor);
        Assert.False(rolledBack["ok"]!.GetValue<bool>());
        Assert.Contains(rolledBack["log"]!["problems"]!.AsArray(), p => p!["reason"]!.GetValue<string>() == "log_witness_disagrees");
        (exit, output) = await OfflineAsync(auditor, work, "export-2.ndjson", keptFile, receiptFile);
        Assert.True(exit == 1, output);
        Assert.Contains("ROLLBACK", output);

        // 4. A fork: the log grows past what the witness cosigned, with other events. 409 from the stale size, then 422.
        await LogTestKit.AppendEventsAsync(fixture, 100, prefix: "fork");
        var head4 = await LogTestKit.CheckpointAsync(fixture);
        Assert.True(head4.TreeSize > head2.TreeSize);
        Assert.Equal([head1.TreeSize], await CosignedSizesAsync());
        using (var stale = await AddCheckpointAsync(head1.TreeSize, head4)) Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        using (var forked = await AddCheckpointAsync(head2.TreeSize, head4)) Assert.Equal(HttpStatusCode.UnprocessableEntity, forked.StatusCode);
        var forkReport = await AuditTestKit.VerifyAsync(auditor);
        var forkProblem = forkReport["log"]!["problems"]!.AsArray().Single(p => p!["reason"]!.GetValue<string>() == "log_witness_disagrees")!;
        Assert.Contains("forked", forkProblem["detail"]!.GetValue<string>());
        Assert.Contains("422", forkReport["log"]!["witnesses"]![0]!["lastAnswer"]!.GetValue<string>());
        (exit, output) = await OfflineAsync(auditor, work, "export-3.ndjson", keptFile, receiptFile);
        Assert.True(exit == 1, output);
        Assert.Contains("FORK", output);
        Assert.Contains("REWRITTEN", output);
        Assert.Contains("not consistent with the cosigned size", witness.Process.Output);
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task The_witness_refuses_unknown_logs_forged_signatures_and_malformed_requests()
    {
        var text = new Checkpoint(LogTestKit.Origin, 1, LogTree.LeafHash([1])).Text();
        using var stranger = Ed25519Key.FromPem(Ed25519Key.NewPem());
        var forged = new SignedNote(text, [new NoteSigner(LogTestKit.Origin, stranger).Sign(text)]).ToString();
        var unknown = new Checkpoint("elsewhere.example/log", 1, LogTree.LeafHash([1])).Text();
        var unknownNote = new SignedNote(unknown, [new NoteSigner("elsewhere.example/log", stranger).Sign(unknown)]).ToString();
        using var logKey = Ed25519Key.FromPem(witness.LogKey);
        var genuine = new SignedNote(text, [new NoteSigner(LogTestKit.Origin, logKey).Sign(text)]).ToString();
        using var http = new HttpClient { BaseAddress = witness.Process!.BaseAddress };
        async Task<HttpStatusCode> Post(string body) => (await http.PostAsync("/add-checkpoint", new StringContent(body, Encoding.UTF8, "text/plain"))).StatusCode;

        Assert.Equal(HttpStatusCode.NotFound, await Post("old 0\n\n" + unknownNote));
        Assert.Equal(HttpStatusCode.Forbidden, await Post("old 0\n\n" + forged));
        Assert.Equal(HttpStatusCode.BadRequest, await Post("old 2\n\n" + genuine));
        Assert.Equal(HttpStatusCode.BadRequest, await Post("new 0\n\n" + genuine));
        Assert.Equal(HttpStatusCode.BadRequest, await Post("old 0\n" + genuine));
        Assert.Equal(HttpStatusCode.BadRequest, await Post("old 0\nnot-base64!\n\n" + genuine));
        Assert.Equal(HttpStatusCode.BadRequest, await Post("old 0\n\n" + text));
    }

    private async Task<(int, string)> OfflineAsync(HttpClient auditor, string work, string name, string kept, string receipt)
    {
        var export = Path.Combine(work, name);
        await File.WriteAllTextAsync(export, await auditor.GetStringAsync("/api/v1/audit/export"));
        var pem = Path.Combine(work, "checkpoint-key.pem");
        await File.WriteAllTextAsync(pem, (await AuditTestKit.GetJsonAsync(auditor, "/api/v1/audit/public-key"))["publicKeyPem"]!.GetValue<string>());
        var result = await WitnessProcess.VerifyOfflineAsync("--export", export, "--log-key", LogTestKit.VerifierKey(witness.LogKey), "--checkpoint-key", pem,
            "--witness", witness.VerifierKey, "--checkpoint", kept, "--receipt", receipt);
        await File.WriteAllTextAsync(export + ".out", result.Output);
        return result;
    }

    private async Task<HttpResponseMessage> AddCheckpointAsync(long old, ReferralNetwork.Infrastructure.Audit.Log.LogCheckpointRow head)
    {
        var auditor = fixture.Admin();
        var proof = (await auditor.GetFromJsonAsync<JsonObject>($"/api/v1/audit/log/proof/consistency?from={Math.Min(old, head.TreeSize)}&to={head.TreeSize}"))!;
        var body = new StringBuilder($"old {old}\n");
        foreach (var hash in proof["hashes"]!.AsArray()) body.Append(hash!.GetValue<string>()).Append('\n');
        body.Append('\n').Append(head.Note);
        using var http = new HttpClient { BaseAddress = witness.Process!.BaseAddress };
        return await http.PostAsync("/add-checkpoint", new StringContent(body.ToString(), Encoding.UTF8, "text/plain"));
    }

    private async Task<List<long>> CosignedSizesAsync()
    {
        await using var connection = await fixture.OpenAsync();
        return (await connection.QueryAsync<long>("SELECT tree_size FROM audit_log_cosignatures WHERE witness_name = @Name ORDER BY tree_size",
            new { WitnessSetup.Name })).ToList();
    }
}

/// <summary>One witness for one fixture: its port (chosen before the API starts, which is configured with it), keys and process.</summary>
public sealed class WitnessSetup
{
    public const string Name = "witness.test/w1";
    public int Port { get; } = ApiProcess.FreePort();
    public string LogKey { get; } = Ed25519Key.NewPem();
    public string WitnessKey { get; } = Ed25519Key.NewPem();
    public WitnessProcess? Process { get; private set; }

    public string VerifierKey
    {
        get
        {
            using var key = Ed25519Key.FromPem(WitnessKey);
            return new Cosigner(Name, key).VerifierKey;
        }
    }

    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(LogTestKit.Settings(LogKey))
    {
        ["Audit:Witnesses:0:Url"] = $"http://127.0.0.1:{Port}",
        ["Audit:Witnesses:0:Name"] = Name,
        ["Audit:Witnesses:0:PublicKey"] = VerifierKey,
        ["Audit:WitnessTimeout"] = "00:00:10",
    };

    public async Task StartAsync() => Process = await WitnessProcess.StartAsync(Port, Name, WitnessKey, LogTestKit.Origin, LogTestKit.VerifierKey(LogKey));

    public async Task StopAsync()
    {
        if (Process is not null) await Process.DisposeAsync();
    }
}

public sealed class WitnessSqliteFixture : SqliteApiFixture, IAsyncLifetime
{
    public WitnessSetup Witness { get; } = new();
    protected override IReadOnlyDictionary<string, string?> Settings => Witness.Settings;

    async Task IAsyncLifetime.InitializeAsync()
    {
        await Witness.StartAsync();
        await InitializeAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Witness.StopAsync();
    }
}

public sealed class WitnessPostgresFixture : PostgresApiFixture, IAsyncLifetime
{
    public WitnessSetup Witness { get; } = new();
    protected override IReadOnlyDictionary<string, string?> Settings => Witness.Settings;

    async Task IAsyncLifetime.InitializeAsync()
    {
        await Witness.StartAsync();
        await InitializeAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Witness.StopAsync();
    }
}

public sealed class WitnessSqlServerFixture : SqlServerApiFixture, IAsyncLifetime
{
    public WitnessSetup Witness { get; } = new();
    protected override IReadOnlyDictionary<string, string?> Settings => Witness.Settings;

    async Task IAsyncLifetime.InitializeAsync()
    {
        await Witness.StartAsync();
        await InitializeAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Witness.StopAsync();
    }
}

public sealed class WitnessTests_Sqlite(WitnessSqliteFixture fixture) : WitnessTests(fixture, fixture.Witness), IClassFixture<WitnessSqliteFixture>;

[Trait("Database", "Postgres")]
public sealed class WitnessTests_Postgres(WitnessPostgresFixture fixture) : WitnessTests(fixture, fixture.Witness), IClassFixture<WitnessPostgresFixture>;

[Trait("Database", "SqlServer")]
public sealed class WitnessTests_SqlServer(WitnessSqlServerFixture fixture) : WitnessTests(fixture, fixture.Witness), IClassFixture<WitnessSqlServerFixture>;
