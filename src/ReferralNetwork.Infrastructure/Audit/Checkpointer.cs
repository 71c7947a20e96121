using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>
/// The background worker that seals a checkpoint every <c>Audit:CheckpointInterval</c> (default 5 minutes). Safe on
/// every replica: the checkpoint sequence is unique, so concurrent runs never fork. The first run waits one interval,
/// and the writer (with its key) is resolved only then, so short-lived commands that start the host (openapi) touch
/// neither the database nor the key.
/// </summary>
public sealed class Checkpointer(IServiceProvider services, IOptions<AuditOptions> options, TimeProvider time, ILogger<Checkpointer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckpointInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await services.GetRequiredService<CheckpointWriter>().WriteAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Keep the worker alive: a database hiccup must not stop checkpoints for good.
                    services.GetRequiredService<Persistence.ConnectionFactory>().Observe(e);
                    logger.LogError(e, "Sealing an audit checkpoint failed; retrying in {Interval}.", options.Value.CheckpointInterval);
                }
                try
                {
                    // The transparency log's head is signed (and sent to the witnesses) at every checkpoint too.
                    await services.GetRequiredService<Log.LogCheckpointWriter>().RunAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    services.GetRequiredService<Persistence.ConnectionFactory>().Observe(e);
                    logger.LogError(e, "Signing the audit log's checkpoint failed; retrying in {Interval}.", options.Value.CheckpointInterval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
