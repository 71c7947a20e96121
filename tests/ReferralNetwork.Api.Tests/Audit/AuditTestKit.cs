using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Features.Audit;
using ReferralNetwork.Infrastructure.Audit;

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

    public static async Task<JsonObject> VerifyAsync(HttpClient auditor, bool everyRoot = false)
    {
        var response = await auditor.GetAsync($"/api/v1/audit/verify{(everyRoot ? "?everyRoot=true" : "")}");
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
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
/// A copy of the four audit tables, taken before a test tampers with them and put back afterwards, so each tamper
/// test sees exactly one change and the next test an intact trail.
/// </summary>
public sealed class AuditTablesBackup : IAsyncDisposable
{
    private static readonly string[] Tables = ["audit_events", "audit_stream_heads", "audit_checkpoints", "audit_checkpoint_heads"];
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
