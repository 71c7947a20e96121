using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ReferralNetwork.Api.Tests.Audit;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Webhooks;
using ReferralNetwork.Infrastructure.Persistence;
using ReferralNetwork.Infrastructure.Webhooks;
using Xunit.Abstractions;

namespace ReferralNetwork.Api.Tests.Reliability;

public sealed class SqliteLoadFaultsFixture : SqliteApiFixture
{
    public DatabaseFaultInjection Faults { get; } = new();
    protected override IReadOnlyDictionary<string, string?> Settings => FaultsUnderLoadTests.LoadSettings;
    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton(Faults);
}

/// <summary>On a PostgreSQL cluster of its own (see <see cref="PrivatePostgres"/>), which the test restarts.</summary>
public sealed class PostgresLoadFaultsFixture : ApiFixture
{
    public DatabaseFaultInjection Faults { get; } = new();
    public PrivatePostgres Cluster => (PrivatePostgres)Database;
    protected override IReadOnlyDictionary<string, string?> Settings => FaultsUnderLoadTests.LoadSettings;
    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton(Faults);
    protected override async Task<ITestDatabase> CreateDatabaseAsync() => await PrivatePostgres.StartAsync();
}

/// <summary>
/// Eight clients submit and act without pause, retrying as a partner should (the same Idempotency-Key for a submission,
/// If-Match for an action, waiting Retry-After), while faults are injected one after the other. Afterwards: no answer
/// ≥ 500 other than 503 with Retry-After; every acknowledged write is there exactly once; the audit verifies; the outbox
/// delivers every event once the partner answers again. Each fault's figures are printed.
/// </summary>
public abstract class FaultsUnderLoadTests(ApiFixture fixture, DatabaseFaultInjection faults, ITestOutputHelper output)
{
    public static readonly IReadOnlyDictionary<string, string?> LoadSettings = new Dictionary<string, string?>(FaultSettings.Short)
    {
        ["Webhooks:AllowPrivateNetworks"] = "true",
        ["Webhooks:Timeout"] = "00:00:01",
    };

    private const int Clients = 8;
    private readonly TestNetwork _network = new(fixture);
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentDictionary<string, Guid> _submitted = new();
    private readonly ConcurrentDictionary<Guid, bool> _acknowledged = new();
    private long _requests, _unavailable, _writes;
    private long _lastWriteTicks;

    protected ApiFixture Fixture => fixture;
    protected DatabaseFaultInjection FaultSeam => faults;

    /// <summary>One fault: inject it, hold it, lift it. Each returns when the fault is lifted.</summary>
    protected sealed record Fault(string Name, Func<Task> InjectHoldAndLift);

    protected abstract IEnumerable<Fault> DatabaseFaults();

    [Fact]
    public async Task Eight_clients_under_injected_faults_get_only_clear_answers_and_lose_nothing()
    {
        var total = Stopwatch.StartNew();
        await using var partner = await WebhookReceiver.StartAsync(fixture.Time);
        var referrer = await _network.OrganisationAsync("centre_for_social_work");
        var receiver = await _network.OrganisationAsync();
        var partnerClient = fixture.Client(await _network.KeyAsync(receiver.Id, "partner_system"));
        var subscribed = await partnerClient.PostAsJsonAsync("/api/v1/webhooks", new { url = partner.Url, events = new[] { "referral.submitted", "referral.received" } });
        await TestNetwork.Expect(subscribed, HttpStatusCode.Created);

        using var stop = new CancellationTokenSource();
        // Time passes for the application as it does for the clients (idempotency locks, retry schedules).
        var ticker = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(50);
                fixture.Time.Advance(TimeSpan.FromMilliseconds(50));
            }
        });
        var dispatcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var scope = fixture.Factory.Services.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<WebhookDispatcher>().RunOnceAsync();
                }
                catch (Exception)
                {
                    // The database is down: the next pass tries again, as the hosted loop does.
                }
                await Task.Delay(100);
            }
        });
        var clients = Enumerable.Range(0, Clients).Select(c => Task.Run(() => ClientAsync(c, referrer, receiver, stop.Token))).ToList();

        var faultsToRun = DatabaseFaults().Append(new Fault("partner down (503, then hanging)", async () =>
        {
            partner.Answer = _ => new ReceiverAnswer(503);
            await Task.Delay(1000);
            partner.Answer = _ => new ReceiverAnswer(200, Delay: TimeSpan.FromSeconds(3));
            await Task.Delay(1500);
            partner.Answer = _ => new ReceiverAnswer(200);
        })).ToList();
        await Task.Delay(700); // steady load first
        foreach (var fault in faultsToRun)
        {
            var (requests, unavailable, writes) = (Interlocked.Read(ref _requests), Interlocked.Read(ref _unavailable), Interlocked.Read(ref _writes));
            var watch = Stopwatch.StartNew();
            await fault.InjectHoldAndLift();
            var held = watch.Elapsed;
            var lifted = Stopwatch.GetTimestamp();
            var recovery = await RecoveryAsync(lifted);
            await Task.Delay(300); // steady again before the next fault
            output.WriteLine($"{fixture.Database.Provider,-8} {fault.Name,-44} held {held.TotalSeconds,4:0.0} s: {Interlocked.Read(ref _requests) - requests,5} requests, " +
                $"{Interlocked.Read(ref _unavailable) - unavailable,4} answered 503, {Interlocked.Read(ref _writes) - writes,4} writes acknowledged, " +
                $"first acknowledged write {recovery.TotalMilliseconds,5:0} ms after the fault was lifted");
        }
        await stop.CancelAsync();
        await Task.WhenAll(clients);
        await ticker;
        await dispatcher;
        NpgsqlConnection.ClearAllPools(); // this test's own connections may date from before a restart

        Assert.True(_violations.IsEmpty, string.Join("\n", _violations.Take(20)));
        await using var connection = await fixture.OpenAsync();
        var stored = (await connection.QueryAsync<Guid>("SELECT id FROM referrals WHERE referrer_organisation_id = @Org", new { Org = referrer.Id })).ToList();
        output.WriteLine($"{fixture.Database.Provider}: {Interlocked.Read(ref _requests)} requests, {Interlocked.Read(ref _unavailable)} answered 503 (all with Retry-After), " +
            $"0 other answers ≥ 500; {_submitted.Count} submissions and {_acknowledged.Count} acknowledgements acknowledged, {stored.Count} referrals stored");
        Assert.Equal(_submitted.Count, stored.Count);                        // none lost, none duplicated
        Assert.Equal(_submitted.Count, _submitted.Values.Distinct().Count());
        Assert.Empty(_submitted.Values.Except(stored));
        foreach (var id in _acknowledged.Keys)
            Assert.Equal("received", await connection.ExecuteScalarAsync<string>("SELECT status FROM referrals WHERE id = @Id", new { Id = id }));
        var verify = await AuditTestKit.VerifyAsync(await AuditTestKit.AuditorAsync(fixture, _network));
        Assert.True(verify["ok"]!.GetValue<bool>(), verify.ToJsonString());

        // The partner answers again: every event of the outbox reaches it.
        long pending = -1;
        for (var pass = 0; pass < 60; pass++)
        {
            fixture.Time.Advance(TimeSpan.FromMinutes(5));
            await using (var scope = fixture.Factory.Services.CreateAsyncScope())
                await scope.ServiceProvider.GetRequiredService<WebhookDispatcher>().RunOnceAsync();
            pending = await connection.ExecuteScalarAsync<long>(
                "SELECT (SELECT COUNT(*) FROM outbox_messages WHERE fanned_out_at IS NULL) + (SELECT COUNT(*) FROM webhook_deliveries WHERE state <> 'delivered')");
            if (pending == 0) break;
        }
        Assert.Equal(0, pending);
        var deliveries = (await connection.QueryAsync<Guid>("SELECT id FROM webhook_deliveries")).ToList();
        var received = partner.Received.Where(r => r.Id is not null).Select(r => Guid.Parse(r.Id!)).ToHashSet();
        Assert.Equal(_submitted.Count + _acknowledged.Count, deliveries.Count);
        Assert.All(deliveries, d => Assert.Contains(d, received));
        output.WriteLine($"{fixture.Database.Provider}: {deliveries.Count} webhook deliveries, all received; the suite took {total.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>Time from the fault's lifting to the first write acknowledged after it.</summary>
    private async Task<TimeSpan> RecoveryAsync(long lifted)
    {
        var limit = Stopwatch.StartNew();
        while (Interlocked.Read(ref _lastWriteTicks) < lifted && limit.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(10);
        var last = Interlocked.Read(ref _lastWriteTicks);
        if (last < lifted) throw new TimeoutException("no write was acknowledged within 30 s of lifting the fault");
        return Stopwatch.GetElapsedTime(lifted, last);
    }

    private async Task ClientAsync(int client, TestOrganisation referrer, TestOrganisation receiver, CancellationToken stop)
    {
        var random = new Random(client);
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            var key = $"load-{client}-{n++}";
            var id = await UntilAnsweredAsync(referrer.Caseworker, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals") { Content = JsonContent.Create(TestNetwork.Referral(receiver.Id)) };
                request.Headers.Add("Idempotency-Key", key);
                return request;
            }, HttpStatusCode.Created, async r => (await r.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<Guid>());
            _submitted[key] = id;
            Wrote();
            if (random.Next(2) == 1) continue;
            var done = await UntilAnsweredAsync(receiver.Caseworker, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{id}/acknowledge");
                request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
                return request;
            }, HttpStatusCode.OK, _ => Task.FromResult(true), async () =>
            {
                // 412 after a 503: the earlier attempt may have committed before its connection died. Read, as a client would.
                var current = await receiver.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}");
                return current!["status"]!.GetValue<string>() == "received";
            });
            if (done) _acknowledged[id] = true;
            Wrote();
        }
    }

    private void Wrote()
    {
        Interlocked.Increment(ref _writes);
        Interlocked.Exchange(ref _lastWriteTicks, Stopwatch.GetTimestamp());
    }

    /// <summary>A partner's retry loop: 503 waits Retry-After (at most a second here), 409 in flight waits briefly; anything else ≥ 500 is a violation.</summary>
    private async Task<T> UntilAnsweredAsync<T>(HttpClient client, Func<HttpRequestMessage> make, HttpStatusCode success, Func<HttpResponseMessage, Task<T>> read,
        Func<Task<bool>>? onStale = null)
    {
        var deadline = Stopwatch.StartNew();
        var last = "";
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            using var request = make();
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request);
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                _violations.Enqueue($"{request.Method} {request.RequestUri}: no answer ({e.Message})");
                await Task.Delay(100);
                continue;
            }
            using (response)
            {
                Interlocked.Increment(ref _requests);
                var status = (int)response.StatusCode;
                if (response.StatusCode == success) return await read(response);
                last = $"{status} {await response.Content.ReadAsStringAsync()}";
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    Interlocked.Increment(ref _unavailable);
                    if (response.Headers.RetryAfter?.Delta is not { } wait)
                    {
                        _violations.Enqueue($"{request.Method} {request.RequestUri}: 503 without Retry-After: {last}");
                        wait = TimeSpan.FromSeconds(1);
                    }
                    await Task.Delay(wait < TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1));
                    continue;
                }
                if (status >= 500) _violations.Enqueue($"{request.Method} {request.RequestUri}: {last}");
                else if (response.StatusCode == HttpStatusCode.Conflict) { } // the key's first request is still in flight
                else if (response.StatusCode == HttpStatusCode.PreconditionFailed && onStale is not null)
                {
                    if (await onStale()) return await read(response);
                    _violations.Enqueue($"{request.Method} {request.RequestUri}: 412 but the action is not applied");
                    return default!;
                }
                else
                {
                    _violations.Enqueue($"{request.Method} {request.RequestUri}: unexpected {last}");
                    return default!;
                }
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"no success within 60 s; last answer {last}");
    }

    /// <summary>Faults both engines share: the write-fault seam's full disk.</summary>
    protected Fault StorageFull(Func<Exception> exception) => new("storage full (write-fault seam)", async () =>
    {
        faults.FailWrites = exception;
        await Task.Delay(1500);
        faults.FailWrites = null;
    });
}

public sealed class FaultsUnderLoadTests_Sqlite(SqliteLoadFaultsFixture fixture, ITestOutputHelper output)
    : FaultsUnderLoadTests(fixture, fixture.Faults, output), IClassFixture<SqliteLoadFaultsFixture>
{
    protected override IEnumerable<Fault> DatabaseFaults()
    {
        yield return new Fault("write lock held by another process 2 s", async () =>
        {
            await using var other = new SqliteConnection(Fixture.Database.ConnectionString + ";Pooling=False");
            await other.OpenAsync();
            await using var hold = other.CreateCommand();
            hold.CommandText = "BEGIN IMMEDIATE";
            await hold.ExecuteNonQueryAsync();
            await Task.Delay(2000);
            hold.CommandText = "ROLLBACK";
            await hold.ExecuteNonQueryAsync();
        });
        yield return StorageFull(() => new SqliteException("database or disk is full", 13));
        yield return StorageFull(() => new SqliteException("attempt to write a readonly database", 8)) with { Name = "read-only database file (write-fault seam)" };
    }
}

[Trait("Database", "Postgres")]
public sealed class FaultsUnderLoadTests_Postgres(PostgresLoadFaultsFixture fixture, ITestOutputHelper output)
    : FaultsUnderLoadTests(fixture, fixture.Faults, output), IClassFixture<PostgresLoadFaultsFixture>
{
    protected override IEnumerable<Fault> DatabaseFaults()
    {
        var fixture = (PostgresLoadFaultsFixture)Fixture;
        yield return new Fault("pg_ctl restart -m immediate", () => fixture.Cluster.RestartImmediateAsync());
        yield return new Fault("pg_terminate_backend of every API connection", async () =>
        {
            await using var admin = new NpgsqlConnection(Fixture.Database.ConnectionString + ";Pooling=false");
            await admin.OpenAsync();
            for (var i = 0; i < 3; i++)
            {
                await admin.ExecuteAsync("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                    """);
                await Task.Delay(300);
            }
        });
        yield return new Fault("table lock past Database:CommandTimeoutSeconds", async () =>
        {
            await using var locker = new NpgsqlConnection(Fixture.Database.ConnectionString + ";Pooling=false");
            await locker.OpenAsync();
            await using var transaction = await locker.BeginTransactionAsync();
            await locker.ExecuteAsync("LOCK TABLE referrals IN EXCLUSIVE MODE", transaction: transaction);
            await Task.Delay(2000);
            await transaction.RollbackAsync();
        });
        yield return StorageFull(() => new PostgresException("could not extend file: No space left on device", "ERROR", "ERROR", "53100"));
    }
}
