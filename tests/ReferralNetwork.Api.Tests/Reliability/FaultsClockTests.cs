using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ReferralNetwork.Api.Tests.Audit;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Lifecycle;
using ReferralNetwork.Infrastructure.Audit;
using ReferralNetwork.Infrastructure.Audit.Log;
using ReferralNetwork.Infrastructure.Deadlines;
using Xunit.Abstractions;

namespace ReferralNetwork.Api.Tests.Reliability;

/// <summary>
/// A wall clock that NTP (or an operator) can step, over the fixture's fake time: <see cref="Step"/> moves what
/// GetUtcNow says, forwards or back, while timers and timestamps go on as before — as a real step does.
/// </summary>
public sealed class SteppedClock(FakeTimeProvider inner) : TimeProvider
{
    private long _offsetTicks;

    public void Step(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    public override long TimestampFrequency => inner.TimestampFrequency;
    public override long GetTimestamp() => inner.GetTimestamp();
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => inner.CreateTimer(callback, state, dueTime, period);
}

public sealed class SqliteClockFaultsFixture : SqliteApiFixture
{
    public SqliteClockFaultsFixture() => Clock = new SteppedClock(Time);
    public SteppedClock Clock { get; }
    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}

public sealed class PostgresClockFaultsFixture : PostgresApiFixture
{
    public PostgresClockFaultsFixture() => Clock = new SteppedClock(Time);
    public SteppedClock Clock { get; }
    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}

/// <summary>
/// The clock jumps forward an hour, then back ten minutes: the deadline monitor records each breach once, no lateness is
/// negative, and neither the audit checkpoints nor the transparency log's signed heads go back in time.
/// </summary>
public abstract class FaultsClockTests(ApiFixture fixture, SteppedClock clock, ITestOutputHelper output)
{
    private readonly TestNetwork _network = new(fixture);

    private sealed record Duty
    {
        public Guid ReferralId { get; init; }
        public DateTimeOffset DueAt { get; init; }
        public DateTimeOffset? BreachedAt { get; init; }
    }

    [Fact]
    public async Task Clock_steps_forward_and_back_breach_once_never_late_by_less_than_zero_and_never_seal_back_in_time()
    {
        var referrer = await _network.OrganisationAsync("centre_for_social_work");
        var receiver = await _network.OrganisationAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++) ids.Add(LifecycleApi.IdOf(await _network.SubmitAsync(referrer, receiver)));
        var firstDue = (await DutiesAsync(ids)).Min(d => d.DueAt);
        var checkpoints = new List<DateTimeOffset> { (await SealAsync()).Audit };

        // Up to five minutes before the first duty falls due, then the clock jumps an hour.
        var target = firstDue.AddMinutes(-5) - (clock.GetUtcNow() - fixture.Time.GetUtcNow());
        if (target > fixture.Time.GetUtcNow()) fixture.Time.SetUtcNow(target);
        Assert.Equal(0, await MonitorAsync());
        clock.Step(TimeSpan.FromHours(1));
        var breachedForward = await MonitorAsync();
        var afterForward = (await DutiesAsync(ids)).Count(d => d.BreachedAt is not null);
        Assert.True(afterForward > 0, "the jump forward should have passed at least one due time");
        Assert.Equal(0, await MonitorAsync()); // no duplicate
        checkpoints.Add((await SealAsync()).Audit);

        // Back ten minutes: nothing is recorded twice, nothing is late by less than zero, checkpoints do not go back.
        clock.Step(TimeSpan.FromMinutes(-10));
        Assert.Equal(0, await MonitorAsync());
        await receiver.Caseworker.MoveAsync(ids[0], "acknowledge");
        await _network.SubmitAsync(referrer, receiver); // new events, so that a new checkpoint is sealed
        var sealedBack = await SealAsync();
        checkpoints.Add(sealedBack.Audit);
        clock.Step(TimeSpan.FromMinutes(-10));
        await _network.SubmitAsync(referrer, receiver);
        checkpoints.Add((await SealAsync()).Audit);
        Assert.Equal(0, await MonitorAsync());

        await using var connection = await fixture.OpenAsync();
        var breaches = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM deadline_breaches");
        var duplicates = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM (SELECT referral_id, deadline, step_code FROM deadline_breaches GROUP BY referral_id, deadline, step_code HAVING COUNT(*) > 1) d");
        var negative = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM referral_timeline WHERE late_by_seconds < 0");
        var earlyDetections = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM deadline_breaches WHERE detected_at < due_at");
        var auditTimes = (await connection.QueryAsync<DateTimeOffset>("SELECT created_at FROM audit_checkpoints ORDER BY sequence")).ToList();
        var logTimes = (await connection.QueryAsync<DateTimeOffset>("SELECT created_at FROM audit_log_checkpoints ORDER BY tree_size")).ToList();
        output.WriteLine($"clock +1 h then −10 min twice: {breachedForward} breaches recorded by the jump, {breaches} in all, {duplicates} duplicated, " +
            $"{negative} negative lateness, audit checkpoints {string.Join(" ≤ ", auditTimes.Select(t => t.ToString("HH:mm:ss")))}, " +
            $"log heads {string.Join(" ≤ ", logTimes.Select(t => t.ToString("HH:mm:ss")))}");
        Assert.Equal(afterForward, breaches);
        Assert.Equal(0, duplicates);
        Assert.Equal(0, negative);
        Assert.Equal(0, earlyDetections);
        Assert.Equal(auditTimes.Order().ToList(), auditTimes);
        Assert.Equal(logTimes.Order().ToList(), logTimes);
        Assert.True(auditTimes.Count >= 4 && logTimes.Count >= 4, $"{auditTimes.Count} audit checkpoints, {logTimes.Count} log heads");
        var breachList = await AuditTestKit.AllPagesAsync(await AuditTestKit.AuditorAsync(fixture, _network), "/api/v1/audit/deadline-breaches", 100);
        Assert.All(breachList, b => Assert.True(b["lateBySeconds"]!.GetValue<long>() >= 0));
        var verify = await AuditTestKit.VerifyAsync(await AuditTestKit.AuditorAsync(fixture, _network));
        Assert.True(verify["ok"]!.GetValue<bool>(), verify.ToJsonString());
    }

    private async Task<List<Duty>> DutiesAsync(IEnumerable<Guid> ids)
    {
        await using var connection = await fixture.OpenAsync();
        var all = await connection.QueryAsync<Duty>("SELECT referral_id AS ReferralId, due_at AS DueAt, breached_at AS BreachedAt FROM referral_duties");
        var wanted = ids.ToHashSet();
        return all.Where(d => wanted.Contains(d.ReferralId)).ToList();
    }

    private async Task<int> MonitorAsync()
    {
        await using var scope = fixture.Factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DeadlineMonitor>().RunOnceAsync(CancellationToken.None);
    }

    private async Task<(DateTimeOffset Audit, DateTimeOffset Log)> SealAsync()
    {
        var audit = await fixture.Factory.Services.GetRequiredService<CheckpointWriter>().WriteAsync(CancellationToken.None);
        var log = await fixture.Factory.Services.GetRequiredService<LogCheckpointWriter>().RunAsync(CancellationToken.None);
        return (audit.Checkpoint!.CreatedAt, log!.CreatedAt);
    }
}

public sealed class FaultsClockTests_Sqlite(SqliteClockFaultsFixture fixture, ITestOutputHelper output)
    : FaultsClockTests(fixture, fixture.Clock, output), IClassFixture<SqliteClockFaultsFixture>;

[Trait("Database", "Postgres")]
public sealed class FaultsClockTests_Postgres(PostgresClockFaultsFixture fixture, ITestOutputHelper output)
    : FaultsClockTests(fixture, fixture.Clock, output), IClassFixture<PostgresClockFaultsFixture>;
