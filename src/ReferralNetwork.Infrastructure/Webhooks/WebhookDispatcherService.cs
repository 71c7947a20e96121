using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ReferralNetwork.Infrastructure.Webhooks;

/// <summary>
/// Runs <see cref="WebhookDispatcher.RunOnceAsync"/> every <c>Webhooks:DispatchInterval</c> when <c>Workers:Enabled</c>
/// (the default). Safe on every replica: deliveries are leased, fan-out is idempotent.
/// </summary>
public sealed class WebhookDispatcherService(
    IServiceScopeFactory scopes, IConfiguration configuration, IOptions<WebhookOptions> options, TimeProvider time, ILogger<WebhookDispatcherService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.GetValue("Workers:Enabled", true)) return;
        using var timer = new PeriodicTimer(options.Value.DispatchInterval, time);
        try
        {
            do
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<WebhookDispatcher>().RunOnceAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A database outage must not stop the worker: the next tick tries again (on a fresh pool if it broke).
                    using (var failed = scopes.CreateScope()) failed.ServiceProvider.GetRequiredService<Persistence.ConnectionFactory>().Observe(e);
                    logger.LogError(e, "Webhook dispatch pass failed; retrying in {Interval}.", options.Value.DispatchInterval);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
