using System.Diagnostics.Metrics;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Observability;

/// <summary>
/// What operators watch that only the database knows (issue 20): open duties and unanswered breaches by protocol, the
/// outbox's backlog and age (webhooks waiting to be fanned out), and the deadline monitor's lag — how long the oldest
/// duty past its due time has waited to be recorded as missed. Read every <c>Observability:GaugeRefreshSeconds</c> by
/// four small aggregate queries, so a scrape never touches the database. Labels are protocol codes only.
/// </summary>
public sealed class OperationalGauges : BackgroundService
{
    private readonly ConnectionFactory _connections;
    private readonly Clock _clock;
    private readonly TimeSpan _every;
    private readonly ILogger<OperationalGauges> _logger;
    private volatile Snapshot _snapshot = new([], [], 0, 0, 0);

    private sealed record Snapshot(IReadOnlyList<(string Protocol, long Count)> OpenDuties, IReadOnlyList<(string Protocol, long Count)> OpenBreaches,
        long OutboxPending, double OutboxLagSeconds, double MonitorLagSeconds);

    public OperationalGauges(ConnectionFactory connections, Clock clock, TimeSpan every, ILogger<OperationalGauges> logger)
    {
        _connections = connections;
        _clock = clock;
        _every = every;
        _logger = logger;
        var meter = Telemetry.Meter;
        meter.CreateObservableGauge("referralnetwork.duties.open", () => _snapshot.OpenDuties.Select(d => Tagged(d.Count, d.Protocol)), "{duty}",
            "Open duties (acknowledge, decide, follow up, review, steps), by protocol.");
        meter.CreateObservableGauge("referralnetwork.breaches.open", () => _snapshot.OpenBreaches.Select(b => Tagged(b.Count, b.Protocol)), "{breach}",
            "Missed deadlines not yet acted on, by protocol.");
        meter.CreateObservableGauge("referralnetwork.outbox.pending", () => _snapshot.OutboxPending, "{message}", "Events waiting to be fanned out to webhooks.");
        meter.CreateObservableGauge("referralnetwork.outbox.lag", () => _snapshot.OutboxLagSeconds, "s", "Age of the oldest event waiting to be fanned out.");
        meter.CreateObservableGauge("referralnetwork.deadline.monitor.lag", () => _snapshot.MonitorLagSeconds, "s",
            "How long the oldest duty past its due time has waited to be recorded as missed.");
    }

    private static Measurement<long> Tagged(long value, string protocol) => new(value, new KeyValuePair<string, object?>("protocol", protocol));

    public async Task RefreshAsync(CancellationToken ct)
    {
        await using var connection = await _connections.OpenAsync(ct);
        var now = _clock.Now();
        var duties = await connection.QueryAsync<(string, long)>(new CommandDefinition("""
            SELECT r.protocol_code, COUNT(*) FROM referral_duties d JOIN referrals r ON r.id = d.referral_id
            WHERE d.closed_at IS NULL GROUP BY r.protocol_code
            """, cancellationToken: ct));
        var breaches = await connection.QueryAsync<(string, long)>(new CommandDefinition(
            "SELECT b.protocol_code, COUNT(*) FROM deadline_breaches b WHERE b.acted_at IS NULL GROUP BY b.protocol_code", cancellationToken: ct));
        var outbox = await connection.QuerySingleAsync<Oldest>(new CommandDefinition(
            "SELECT COUNT(*) AS Count, MIN(o.occurred_at) AS At FROM outbox_messages o WHERE o.fanned_out_at IS NULL", cancellationToken: ct));
        var overdue = await connection.QuerySingleAsync<Oldest>(new CommandDefinition("""
            SELECT COUNT(*) AS Count, MIN(d.due_at) AS At FROM referral_duties d WHERE d.closed_at IS NULL AND d.breached_at IS NULL AND d.due_at < @Now
            """, new { Now = now }, cancellationToken: ct));
        _snapshot = new Snapshot([.. duties], [.. breaches], outbox.Count, Age(outbox.At, now), Age(overdue.At, now));
    }

    private static double Age(DateTimeOffset? since, DateTimeOffset now) => since is { } at ? Math.Max(0, (now - at).TotalSeconds) : 0;

    private sealed record Oldest
    {
        public long Count { get; init; }
        public DateTimeOffset? At { get; init; }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_every);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A gauge is not worth a crash: the last values stay, and the next tick tries again.
                _logger.LogWarning(e, "Could not refresh the operational gauges.");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
