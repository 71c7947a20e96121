using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ReferralNetwork.Infrastructure.Deadlines;

/// <summary>Settings under <c>Deadlines:</c>.</summary>
public sealed class DeadlineOptions
{
    /// <summary>Time between two passes of the monitor; a breach is recorded at most this long after it happens.</summary>
    public TimeSpan MonitorInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most breaches recorded in one pass; the rest wait for the next one.</summary>
    public int BatchSize { get; set; } = 500;
}

/// <summary>
/// Runs <see cref="DeadlineMonitor.RunOnceAsync"/> every <see cref="DeadlineOptions.MonitorInterval"/> while
/// <c>Workers:Enabled</c> (default true). The wait goes through <see cref="TimeProvider"/>, so a test clock drives it.
/// A failed pass is logged and the next one runs on schedule: every pass starts from the database's state.
/// </summary>
public sealed class DeadlineMonitorService(
    IServiceScopeFactory scopes, TimeProvider time, IOptions<DeadlineOptions> options, IOptions<WorkersOptions> workers, ILogger<DeadlineMonitorService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!workers.Value.Enabled)
        {
            logger.LogInformation("Deadline monitor disabled (Workers:Enabled=false).");
            return;
        }
        var interval = options.Value.MonitorInterval > TimeSpan.Zero ? options.Value.MonitorInterval : TimeSpan.FromMinutes(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<DeadlineMonitor>().RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                using (var failed = scopes.CreateScope()) failed.ServiceProvider.GetRequiredService<Persistence.ConnectionFactory>().Observe(e);
                logger.LogError(e, "A deadline monitor pass failed; the next starts in {Interval}.", interval);
            }
            try
            {
                await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
