using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Audit.Log;
using ReferralNetwork.Transparency;

namespace ReferralNetwork.Api.Tests.Audit.Log;

public static class LogTestKit
{
    public const string Origin = "test.referral-network/audit-log";

    /// <summary>Settings of a fixture whose log signs with a known key, so witnesses and the offline verifier can be given its vkey.</summary>
    public static Dictionary<string, string?> Settings(string logKeyPem) => new()
    {
        ["Audit:LogSigningKey"] = logKeyPem,
        ["Audit:LogOrigin"] = Origin,
    };

    public static string VerifierKey(string logKeyPem)
    {
        using var key = Ed25519Key.FromPem(logKeyPem);
        return NoteKeys.VerifierKey(Origin, NoteKeys.Ed25519, key.PublicKey);
    }

    /// <summary>Appends audit events through the real appender (valid chains), in one transaction, round-robin over some streams.</summary>
    public static async Task AppendEventsAsync(ApiFixture fixture, int count, int streams = 25, string prefix = "test")
    {
        await using var scope = fixture.Factory.Services.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<IDbSession>();
        var appender = scope.ServiceProvider.GetRequiredService<IAuditAppender>();
        var run = Guid.NewGuid().ToString("N")[..8];
        var entries = Enumerable.Range(0, count)
            .Select(i => new AuditEntry($"{prefix}/{run}-{i % streams}", "test.event", new Dictionary<string, object?> { ["n"] = i })).ToList();
        await session.BeginAsync(CancellationToken.None);
        await appender.AppendAsync(session, null, entries, CancellationToken.None);
        await session.CommitAsync(CancellationToken.None);
    }

    /// <summary>Sequences the log and signs its head now, as the checkpointer does (tests run without workers); asks the witnesses.</summary>
    public static async Task<LogCheckpointRow> CheckpointAsync(ApiFixture fixture) =>
        (await fixture.Factory.Services.GetRequiredService<LogCheckpointWriter>().RunAsync(CancellationToken.None))!;

    /// <summary>The leaf hashes computed here from the events as the database holds them, in log order.</summary>
    public static async Task<List<byte[]>> LeavesAsync(ApiFixture fixture)
    {
        await using var connection = await fixture.OpenAsync();
        var hashes = await connection.QueryAsync<string>(
            "SELECT e.hash FROM audit_log_entries l JOIN audit_events e ON e.global_seq = l.global_seq ORDER BY l.log_index");
        return hashes.Select(h => OfflineVerifier.Tree.Leaf(Convert.FromHexString(h))).ToList();
    }

    public static List<byte[]> Hashes(JsonObject proof) => proof["hashes"]!.AsArray().Select(h => Convert.FromBase64String(h!.GetValue<string>())).ToList();

    public static async Task ExpectProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        await TestNetwork.Expect(response, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    public static async Task<JsonObject> JsonAsync(HttpResponseMessage response)
    {
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }
}

/// <summary>
/// A copy of every audit and log table, taken before a test rolls the database back, and put back afterwards — an
/// operator restoring an old backup, or someone with database access deleting the newest history.
/// </summary>
public sealed class LogTablesBackup : IAsyncDisposable
{
    public static readonly string[] Tables =
    [
        "audit_events", "audit_stream_heads", "audit_checkpoints", "audit_checkpoint_heads",
        "audit_log_entries", "audit_log_nodes", "audit_log_checkpoints", "audit_log_cosignatures",
    ];
    private readonly ApiFixture _fixture;
    private readonly string _suffix;

    private LogTablesBackup(ApiFixture fixture, string suffix)
    {
        _fixture = fixture;
        _suffix = suffix;
    }

    public static async Task<LogTablesBackup> TakeAsync(ApiFixture fixture)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        await using var connection = await fixture.OpenAsync();
        foreach (var table in Tables) await connection.ExecuteAsync($"CREATE TABLE b{suffix}_{table} AS SELECT * FROM {table}");
        return new LogTablesBackup(fixture, suffix);
    }

    /// <summary>Puts the copy back (the rollback), keeping the copy for a second restore.</summary>
    public async Task RestoreAsync()
    {
        await using var connection = await _fixture.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var table in Tables.Reverse()) await connection.ExecuteAsync($"DELETE FROM {table}", transaction: transaction);
        foreach (var table in Tables)
        {
            var overriding = _fixture.Database.Provider == "postgres" && table == "audit_events" ? "OVERRIDING SYSTEM VALUE" : "";
            await connection.ExecuteAsync($"INSERT INTO {table} {overriding} SELECT * FROM b{_suffix}_{table}", transaction: transaction);
        }
        await transaction.CommitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await using var connection = await _fixture.OpenAsync();
        foreach (var table in Tables) await connection.ExecuteAsync($"DROP TABLE b{_suffix}_{table}");
    }
}
