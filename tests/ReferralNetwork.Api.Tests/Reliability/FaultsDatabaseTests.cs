using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Infrastructure.Persistence;
using Xunit.Abstractions;

namespace ReferralNetwork.Api.Tests.Reliability;

/// <summary>Short timeouts so that each fault costs about a second; production defaults are in README "Configuration".</summary>
public static class FaultSettings
{
    public static readonly IReadOnlyDictionary<string, string?> Short = new Dictionary<string, string?>
    {
        ["Database:BusyTimeoutMilliseconds"] = "200",
        ["Database:CommandTimeoutSeconds"] = "1",
        ["Database:WriteGateTimeoutSeconds"] = "3",
        ["Database:RetryAfterSeconds"] = "1",
        ["Database:StorageRetryAfterSeconds"] = "2",
        ["Idempotency:LockTimeout"] = "00:00:03",
    };
}

/// <summary>The API with short database timeouts and the write-fault seam registered (production never registers it).</summary>
public class SqliteFaultsFixture : SqliteApiFixture
{
    public DatabaseFaultInjection Faults { get; } = new();
    protected override IReadOnlyDictionary<string, string?> Settings => FaultSettings.Short;
    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton(Faults);
}

public class PostgresFaultsFixture : PostgresApiFixture
{
    public DatabaseFaultInjection Faults { get; } = new();
    protected override IReadOnlyDictionary<string, string?> Settings => FaultSettings.Short;
    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton(Faults);
}

/// <summary>
/// Transient database failures are answered 503 problem+json with Retry-After and a stable code, never 500; nothing of
/// the request is written; the client's retry with the same Idempotency-Key succeeds exactly once when the fault is gone.
/// </summary>
public abstract class FaultsDatabaseTests(ApiFixture fixture, DatabaseFaultInjection faults, ITestOutputHelper output)
{
    protected ApiFixture Fixture => fixture;
    protected ITestOutputHelper Output => output;
    protected TestNetwork Network { get; } = new(fixture);

    protected abstract Exception StorageFull();

    [Fact]
    public async Task Full_storage_answers_writes_503_storage_unavailable_keeps_reads_writes_nothing_and_recovers()
    {
        var referrer = await Network.OrganisationAsync("centre_for_social_work");
        var receiver = await Network.OrganisationAsync();
        var existing = await Network.SubmitAsync(referrer, receiver);
        var before = await fixture.RowCountsAsync();
        var referrals = await CountAsync("SELECT COUNT(*) FROM referrals");

        faults.FailWrites = StorageFull;
        try
        {
            using var submit = await SubmitAsync(referrer, receiver, "storage-1", "storage full");
            await AssertUnavailableAsync(submit, DatabaseFailure.StorageUnavailableCode);
            using var unkeyed = await referrer.Caseworker.PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(receiver.Id, reason: "storage full, no key"));
            await AssertUnavailableAsync(unkeyed, DatabaseFailure.StorageUnavailableCode);
            using var acknowledge = await ActAsync(receiver, (Guid)existing["id"]!, "acknowledge", "\"1\"");
            await AssertUnavailableAsync(acknowledge, DatabaseFailure.StorageUnavailableCode);

            // Reads keep working.
            Assert.Equal(HttpStatusCode.OK, (await referrer.Caseworker.GetAsync($"/api/v1/referrals/{existing["id"]}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await receiver.Caseworker.GetAsync("/api/v1/referrals?box=inbox")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await fixture.Client().GetAsync("/health/ready")).StatusCode);
            Assert.True(faults.Refused >= 3);
        }
        finally
        {
            faults.FailWrites = null;
        }
        Assert.Equal(before, await fixture.RowCountsAsync()); // nothing half-written

        using var retried = await SubmitAsync(referrer, receiver, "storage-1", "storage full");
        await TestNetwork.Expect(retried, HttpStatusCode.Created);
        using var acknowledged = await ActAsync(receiver, (Guid)existing["id"]!, "acknowledge", "\"1\"");
        await TestNetwork.Expect(acknowledged, HttpStatusCode.OK);
        using var replayed = await SubmitAsync(referrer, receiver, "storage-1", "storage full");
        Assert.Equal(await IdOfAsync(retried), await IdOfAsync(replayed));
        Assert.Equal(referrals + 1, await CountAsync("SELECT COUNT(*) FROM referrals")); // the retried one, once; the refused one never
        await AssertVerifiesAsync();
    }

    // ------------------------------------------------------------------------------------------------------------------

    protected async Task<HttpResponseMessage> SubmitAsync(TestOrganisation from, TestOrganisation to, string key, string reason)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals") { Content = JsonContent.Create(TestNetwork.Referral(to.Id, reason: reason)) };
        request.Headers.Add("Idempotency-Key", key);
        return await from.Caseworker.SendAsync(request);
    }

    protected static async Task<HttpResponseMessage> ActAsync(TestOrganisation by, Guid referral, string action, string etag)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{referral}/{action}");
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        return await by.Caseworker.SendAsync(request);
    }

    /// <summary>What a client must be able to rely on: 503, problem+json, a Retry-After in seconds, the stable code.</summary>
    public static async Task AssertUnavailableAsync(HttpResponseMessage response, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"expected 503 {code}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, $"no Retry-After in seconds: {response.Headers.RetryAfter}");
        var problem = JsonNode.Parse(body)!;
        Assert.Equal(code, problem["code"]!.GetValue<string>());
        Assert.Equal(503, problem["status"]!.GetValue<int>());
        Assert.Equal("https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4", problem["type"]!.GetValue<string>());
    }

    protected static async Task<Guid> IdOfAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>();

    protected async Task<long> CountAsync(string sql, object? parameters = null)
    {
        await using var connection = await fixture.OpenAsync();
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    protected async Task AssertVerifiesAsync()
    {
        var verify = await Audit.AuditTestKit.VerifyAsync(await Audit.AuditTestKit.AuditorAsync(fixture, Network));
        Assert.True(verify["ok"]!.GetValue<bool>(), verify.ToJsonString());
    }

    protected static async Task WithinAsync<T>(TimeSpan limit, Func<Task<T?>> poll, string what) where T : struct
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < limit)
        {
            if (await poll() is not null) return;
            await Task.Delay(20);
        }
        throw new TimeoutException($"{what} did not happen within {limit}.");
    }
}

public sealed class FaultsDatabaseTests_Sqlite(SqliteFaultsFixture fixture, ITestOutputHelper output)
    : FaultsDatabaseTests(fixture, fixture.Faults, output), IClassFixture<SqliteFaultsFixture>
{
    protected override Exception StorageFull() => new SqliteException("database or disk is full", 13);

    [Fact]
    public async Task A_write_lock_held_by_another_process_past_the_busy_timeout_is_answered_503_and_the_retry_succeeds_once()
    {
        var referrer = await Network.OrganisationAsync("centre_for_social_work");
        var receiver = await Network.OrganisationAsync();
        var referrals = await CountAsync("SELECT COUNT(*) FROM referrals");
        // Another process on the file (a backup tool, a second API) holds SQLite's write lock.
        await using (var other = new SqliteConnection(Fixture.Database.ConnectionString + ";Pooling=False"))
        {
            await other.OpenAsync();
            await using var hold = other.CreateCommand();
            hold.CommandText = "BEGIN IMMEDIATE";
            await hold.ExecuteNonQueryAsync();

            var watch = Stopwatch.StartNew();
            using var refused = await SubmitAsync(referrer, receiver, "locked-1", "locked file");
            Output.WriteLine($"sqlite lock: answered {(int)refused.StatusCode} after {watch.ElapsedMilliseconds} ms (busy timeout 200 ms, command timeout 1 s)");
            await AssertUnavailableAsync(refused, DatabaseFailure.DatabaseUnavailableCode);
            Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(8));
            // Readers are not blocked by a writer (WAL).
            Assert.Equal(HttpStatusCode.OK, (await receiver.Caseworker.GetAsync("/api/v1/referrals?box=inbox")).StatusCode);
            hold.CommandText = "ROLLBACK";
            await hold.ExecuteNonQueryAsync();
        }
        using var retried = await SubmitAsync(referrer, receiver, "locked-1", "locked file");
        await TestNetwork.Expect(retried, HttpStatusCode.Created);
        using var replayed = await SubmitAsync(referrer, receiver, "locked-1", "locked file");
        await TestNetwork.Expect(replayed, HttpStatusCode.Created);
        Assert.Equal(await IdOfAsync(retried), await IdOfAsync(replayed));
        Assert.Equal(referrals + 1, await CountAsync("SELECT COUNT(*) FROM referrals"));
    }
}

[Trait("Database", "Postgres")]
public sealed class FaultsDatabaseTests_Postgres(PostgresFaultsFixture fixture, ITestOutputHelper output)
    : FaultsDatabaseTests(fixture, fixture.Faults, output), IClassFixture<PostgresFaultsFixture>
{
    protected override Exception StorageFull() => new PostgresException("could not extend file: No space left on device", "ERROR", "ERROR", "53100");

    [Fact]
    public async Task A_killed_backend_is_answered_503_the_pool_recovers_without_a_restart_and_the_retry_succeeds_once()
    {
        var referrer = await Network.OrganisationAsync("centre_for_social_work");
        var receiver = await Network.OrganisationAsync();
        await Network.SubmitAsync(referrer, receiver); // the pool holds connections now
        var referrals = await CountAsync("SELECT COUNT(*) FROM referrals");

        // The submission blocks on a table lock, so that its backend can be killed mid-request, deterministically.
        await using var locker = new NpgsqlConnection(Fixture.Database.ConnectionString + ";Pooling=false");
        await locker.OpenAsync();
        await using var transaction = await locker.BeginTransactionAsync();
        await locker.ExecuteAsync("LOCK TABLE referrals IN EXCLUSIVE MODE", transaction: transaction);
        var submit = SubmitAsync(referrer, receiver, "killed-1", "killed backend");
        await using var admin = new NpgsqlConnection(Fixture.Database.ConnectionString + ";Pooling=false");
        await admin.OpenAsync();
        await WithinAsync(TimeSpan.FromSeconds(5), async () => await admin.ExecuteScalarAsync<int?>("""
            SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> @Locker
            """, new { Locker = locker.ProcessID }), "a blocked API backend");
        // Every API connection of this database dies, the blocked one and the idle pooled ones: what a failover does.
        var killed = await admin.ExecuteScalarAsync<long>("""
            SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND pid NOT IN (@Locker, pg_backend_pid()) AND backend_type = 'client backend') t
            """, new { Locker = locker.ProcessID });
        using var refused = await submit;
        Output.WriteLine($"postgres pg_terminate_backend: {killed} API connections killed; the request in flight answered {(int)refused.StatusCode}");
        await AssertUnavailableAsync(refused, DatabaseFailure.DatabaseUnavailableCode);
        await transaction.RollbackAsync();
        NpgsqlConnection.ClearAllPools(); // this test's own pooled connections to the database were killed too

        // No restart: readiness, reads and the retry work at once, because the pool was cleared.
        Assert.Equal(HttpStatusCode.OK, (await Fixture.Client().GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await receiver.Caseworker.GetAsync("/api/v1/referrals?box=inbox")).StatusCode);
        using var retried = await SubmitAsync(referrer, receiver, "killed-1", "killed backend");
        await TestNetwork.Expect(retried, HttpStatusCode.Created);
        Assert.Equal(referrals + 1, await CountAsync("SELECT COUNT(*) FROM referrals"));
        await AssertVerifiesAsync();
    }

    [Fact]
    public async Task A_command_past_Database_CommandTimeoutSeconds_is_answered_503_and_the_retry_succeeds_once()
    {
        var referrer = await Network.OrganisationAsync("centre_for_social_work");
        var receiver = await Network.OrganisationAsync();
        var referrals = await CountAsync("SELECT COUNT(*) FROM referrals");
        await using var locker = new NpgsqlConnection(Fixture.Database.ConnectionString + ";Pooling=false");
        await locker.OpenAsync();
        await using (var transaction = await locker.BeginTransactionAsync())
        {
            await locker.ExecuteAsync("LOCK TABLE referrals IN EXCLUSIVE MODE", transaction: transaction);
            var watch = Stopwatch.StartNew();
            using var refused = await SubmitAsync(referrer, receiver, "slow-1", "command timeout");
            Output.WriteLine($"postgres command timeout: answered {(int)refused.StatusCode} after {watch.ElapsedMilliseconds} ms (Database:CommandTimeoutSeconds=1)");
            await AssertUnavailableAsync(refused, DatabaseFailure.DatabaseUnavailableCode);
            Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));
            await transaction.RollbackAsync();
        }
        using var retried = await SubmitAsync(referrer, receiver, "slow-1", "command timeout");
        await TestNetwork.Expect(retried, HttpStatusCode.Created);
        Assert.Equal(referrals + 1, await CountAsync("SELECT COUNT(*) FROM referrals"));
    }
}
