using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Features.Audit;
using ReferralNetwork.Infrastructure.Audit;
using ReferralNetwork.Infrastructure.Deadlines;

namespace ReferralNetwork.Api.Tests.Audit;

public static class AuditTestKit
{
    /// <summary>An auditor key in a network-coordinator organisation, issued by the network admin.</summary>
    public static async Task<HttpClient> AuditorAsync(ApiFixture fixture, TestNetwork network)
    {
        var coordinator = await network.OrganisationAsync("network_coordinator", services: ["integration_support"]);
        return fixture.Client(await network.KeyAsync(coordinator.Id, "auditor"));
    }

    /// <summary>Seals a checkpoint now, as the background worker would (tests run without workers).</summary>
    public static async Task<CheckpointRow?> CheckpointAsync(ApiFixture fixture) =>
        (await fixture.Factory.Services.GetRequiredService<CheckpointWriter>().WriteAsync(CancellationToken.None)).Checkpoint;

    public static async Task<JsonObject> VerifyAsync(HttpClient auditor, bool everyRoot = false, (long Checkpoint, string Root)? anchor = null)
    {
        var query = new List<string>();
        if (everyRoot) query.Add("everyRoot=true");
        if (anchor is { } a) query.Add($"checkpoint={a.Checkpoint}&root={a.Root}");
        var response = await auditor.GetAsync($"/api/v1/audit/verify{(query.Count == 0 ? "" : "?" + string.Join('&', query))}");
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    /// <summary>The anchor an auditor copies from a verify report that said ok: the latest checkpoint's sequence and root.</summary>
    public static (long Checkpoint, string Root) AnchorOf(JsonObject report)
    {
        Assert.True(report["ok"]!.GetValue<bool>(), report.ToJsonString());
        var latest = report["latestCheckpoint"]!;
        return (latest["checkpoint"]!.GetValue<long>(), latest["root"]!.GetValue<string>());
    }

    /// <summary>
    /// Publishes a protocol that only a referral naming it uses (no person is 150), with second-scale deadlines:
    /// urgent referrals are due to be acknowledged in 2 s, decided in 5 s, followed up 10 s after acceptance.
    /// </summary>
    public static async Task<string> FastProtocolAsync(ApiFixture fixture)
    {
        var code = "fast-" + Guid.NewGuid().ToString("N")[..12];
        var deadlines = new { acknowledge = "PT2S", decide = "PT5S", followUp = "PT10S" };
        var response = await fixture.Admin().PostAsJsonAsync("/api/v1/protocols", new
        {
            code, title = "Second-scale deadlines", appliesTo = new { minAge = 150 },
            consent = new { requiredFrom = new[] { "person" }, emergencyOverride = new { allowed = true, reviewWithin = "PT3S" } },
            deadlines = new { emergency = deadlines, urgent = deadlines, routine = deadlines },
            receivers = new Dictionary<string, object> { ["*"] = new { kinds = new[] { "ngo", "centre_for_social_work", "health_centre" } } },
            escalateTo = new { organisationKind = "network_coordinator" },
        });
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        return code;
    }

    /// <summary>Deletes a table's rows of these referrals when disposed: for rows a test forged with no event behind them.</summary>
    public static IAsyncDisposable DeleteAtEnd(ApiFixture fixture, string table, IReadOnlyList<Guid> referrals) => new Deferred(async () =>
    {
        await using var connection = await fixture.OpenAsync();
        foreach (var id in referrals) await connection.ExecuteAsync($"DELETE FROM {table} WHERE referral_id = @id", new { id });
    });

    private sealed class Deferred(Func<Task> action) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await action();
    }

    /// <summary>Runs one pass of the deadline monitor now, as the hosted service would at its next wake-up.</summary>
    public static async Task<int> RunDeadlineMonitorAsync(ApiFixture fixture)
    {
        await using var scope = fixture.Factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DeadlineMonitor>().RunOnceAsync(CancellationToken.None);
    }

    public static async Task<JsonObject> GetJsonAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    /// <summary>Every item of a paged list, following nextCursor.</summary>
    public static async Task<List<JsonObject>> AllPagesAsync(HttpClient client, string url, int limit)
    {
        var items = new List<JsonObject>();
        string? cursor = null;
        do
        {
            var separator = url.Contains('?') ? '&' : '?';
            var page = await GetJsonAsync(client, $"{url}{separator}limit={limit}{(cursor is null ? "" : "&cursor=" + cursor)}");
            items.AddRange(page["items"]!.AsArray().Select(i => i!.AsObject()));
            cursor = page["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);
        return items;
    }
}

/// <summary>
/// A copy of the four audit tables and the projections verify replays, taken before a test tampers with them and put
/// back afterwards, so each tamper test sees exactly one change and the next test an intact trail.
/// </summary>
public sealed class AuditTablesBackup : IAsyncDisposable
{
    private static readonly string[] Tables =
        ["audit_events", "audit_stream_heads", "audit_checkpoints", "audit_checkpoint_heads", "responsibility_periods", "referral_duties", "deadline_breaches"];
    private readonly ApiFixture _fixture;

    private AuditTablesBackup(ApiFixture fixture) => _fixture = fixture;

    public static async Task<AuditTablesBackup> TakeAsync(ApiFixture fixture)
    {
        await using var connection = await fixture.OpenAsync();
        foreach (var table in Tables)
        {
            await connection.ExecuteAsync($"DROP TABLE IF EXISTS backup_{table}");
            await connection.ExecuteAsync($"CREATE TABLE backup_{table} AS SELECT * FROM {table}");
        }
        return new AuditTablesBackup(fixture);
    }

    public async ValueTask DisposeAsync()
    {
        await using var connection = await _fixture.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var table in Tables.Reverse()) await connection.ExecuteAsync($"DELETE FROM {table}", transaction: transaction);
        foreach (var table in Tables)
        {
            // global_seq is GENERATED ALWAYS on PostgreSQL: putting the old values back needs OVERRIDING SYSTEM VALUE.
            var overriding = _fixture.Database.Provider == "postgres" && table == "audit_events" ? "OVERRIDING SYSTEM VALUE" : "";
            await connection.ExecuteAsync($"INSERT INTO {table} {overriding} SELECT * FROM backup_{table}", transaction: transaction);
        }
        await transaction.CommitAsync();
        foreach (var table in Tables) await connection.ExecuteAsync($"DROP TABLE backup_{table}");
    }
}
