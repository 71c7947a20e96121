using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Npgsql;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Features.ApiKeys;

namespace ReferralNetwork.Api.Tests.Databases;

/// <summary>
/// Stateless by construction: two real API processes (the built binary) on one PostgreSQL database, started together
/// (so migrations and bootstrap race), serving 500 concurrent submissions between them.
/// </summary>
[Trait("Database", "Postgres")]
public sealed class TwoProcessTests : IAsyncLifetime
{
    private PostgresTestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresTestDatabase.CreateAsync();
    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Two_processes_on_one_database_serve_500_concurrent_submissions_each_stored_exactly_once()
    {
        var adminKey = ApiKeySecrets.NewKey();
        var environment = new Dictionary<string, string>
        {
            ["Database__Provider"] = "postgres",
            ["ConnectionStrings__ReferralNetwork"] = _database.ConnectionString,
            ["Bootstrap__NetworkAdminKey"] = adminKey,
            ["Encryption__MasterKey"] = ApiFixture.MasterKey,
            ["Audit__CheckpointSigningKey"] = ApiProcess.CheckpointSigningKeyPem,
            ["RateLimiting__Enabled"] = "false",
        };
        var started = await Task.WhenAll(ApiProcess.StartAsync(environment), ApiProcess.StartAsync(environment));
        await using var a = started[0];
        await using var b = started[1];
        using var clientA = Client(a, adminKey);

        var referrer = await OrganisationAsync(clientA, "centre_for_social_work");
        var receiver = await OrganisationAsync(clientA, "ngo");
        var keys = new KeyMaker(a.BaseAddress, adminKey);
        var referrerKey = await keys.KeyAsync(referrer, "caseworker");
        var receiverKey = await keys.KeyAsync(receiver, "caseworker");
        using var referrerA = Client(a, referrerKey);
        using var referrerB = Client(b, referrerKey);

        var ids = new ConcurrentBag<Guid>();
        var failures = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 500), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var response = await (i % 2 == 0 ? referrerA : referrerB).PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(receiver, reason: $"case {i}"), ct);
            if (response.StatusCode == HttpStatusCode.Created) ids.Add((await response.Content.ReadFromJsonAsync<JsonObject>(ct))!["id"]!.GetValue<Guid>());
            else failures.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        });
        Assert.Empty(failures);
        Assert.Equal(500, ids.Distinct().Count());

        await using (var connection = new NpgsqlConnection(_database.ConnectionString))
        {
            Assert.Equal(500, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM referrals"));
            Assert.Equal(500, await connection.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT id) FROM referrals"));
            Assert.Equal(500, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE type = 'referral.submitted'"));
            // One network admin despite two bootstraps at once.
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM api_keys WHERE roles = 'network_admin'"));
        }

        using var inboxA = Client(a, receiverKey);
        using var inboxB = Client(b, receiverKey);
        var listedA = await InboxAsync(inboxA);
        var listedB = await InboxAsync(inboxB);
        Assert.Equal(500, listedA.Count);
        Assert.Equal(listedA, listedB);
        Assert.Equal(ids.OrderBy(x => x), listedA.OrderBy(x => x));
    }

    private static HttpClient Client(ApiProcess process, string key)
    {
        var client = new HttpClient { BaseAddress = process.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static async Task<Guid> OrganisationAsync(HttpClient admin, string kind)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/organisations",
            new { name = $"{kind} two-process", kind, municipality = "Beograd", services = new[] { "legal_aid" }, languages = new[] { "sr" } });
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();
    }

    private static async Task<List<Guid>> InboxAsync(HttpClient client)
    {
        var ids = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonObject>($"/api/v1/referrals?box=inbox&limit=100{(cursor is null ? "" : "&cursor=" + cursor)}");
            ids.AddRange(page!["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()));
            cursor = page["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);
        return ids;
    }
}
