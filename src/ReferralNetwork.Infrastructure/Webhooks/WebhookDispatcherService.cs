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
        var passes = new List<Task>();
        try
        {
            do
            {
                passes.RemoveAll(p => p.IsCompleted);
                // A pass is awaited only until its attempts have started, not until they end: an attempt waiting out
                // Webhooks:Timeout on a hanging partner must not delay the next pass for everyone else.
                var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                passes.Add(PassAsync(started, stoppingToken));
                await started.Task;
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await Task.WhenAll(passes);
    }

    private async Task PassAsync(TaskCompletionSource started, CancellationToken stoppingToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var attempts = await scope.ServiceProvider.GetRequiredService<WebhookDispatcher>().StartPassAsync(stoppingToken);
            started.TrySetResult();
            await attempts;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A database outage must not stop the worker: the next tick tries again (on a fresh pool if it broke).
            using (var failed = scopes.CreateScope()) failed.ServiceProvider.GetRequiredService<Persistence.ConnectionFactory>().Observe(e);
            logger.LogError(e, "Webhook dispatch pass failed; retrying in {Interval}.", options.Value.DispatchInterval);
        }
        finally
        {
            started.TrySetResult();
        }
    }
}
