using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Deadlines;
using ReferralNetwork.Infrastructure.Idempotency;

namespace ReferralNetwork.Infrastructure.Deadlines;

/// <summary>
/// Records missed deadlines (DESIGN §5). A pass asks, as the system principal and through the same pipeline every
/// request takes, for the open duties that passed their due time, then sends one <see cref="RecordMissedDeadlineCommand"/>
/// per duty, each in its own scope and transaction: one referral that cannot be recorded does not starve the others.
/// Exactly once however many monitors run (one per replica): the referral's version guard lets one change win; the
/// others answer 412 and are skipped. The pass also deletes expired idempotency keys.
/// </summary>
public sealed class DeadlineMonitor(
    IServiceScopeFactory scopes, IDbSession session, Clock clock, IOptions<DeadlineOptions> options, ILogger<DeadlineMonitor> logger,
    ReferralNetwork.Infrastructure.Persistence.ConnectionFactory factory)
{
    public const string EventType = "referral.deadline_missed";

    /// <summary>One pass; returns the number of breaches this pass recorded.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.Now();
        var due = await SendAsync(new FindDueDutiesQuery(now, Math.Max(1, options.Value.BatchSize)), ct);
        var recorded = 0;
        foreach (var duty in due)
        {
            try
            {
                if (await SendAsync(new RecordMissedDeadlineCommand(duty.ReferralId, duty.Deadline, duty.Step), ct))
                {
                    recorded++;
                    Telemetry.BreachesRecorded.Add(1, new KeyValuePair<string, object?>("duty", duty.Deadline));
                }
            }
            catch (PreconditionFailedException)
            {
                // Another monitor (or the holder's own action) changed the referral first; the next pass sees the result.
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Could not record the missed {Deadline} deadline of referral {ReferralId}.", duty.Deadline, duty.ReferralId);
            }
        }
        int expiredKeys;
        // An autocommit write: on SQLite it takes the writer's turn rather than meet an open batch's write lock.
        await using (var slot = await factory.SoloWriteAsync(ct))
            expiredKeys = await IdempotencyStore.DeleteExpiredAsync(session, now, ct);
        if (recorded > 0 || expiredKeys > 0)
            logger.LogInformation("Deadline monitor: {Recorded} missed deadline(s) recorded, {Expired} expired idempotency key(s) deleted.", recorded, expiredKeys);
        return recorded;
    }

    private async Task<T> SendAsync<T>(IQuery<T> query, CancellationToken ct)
    {
        await using var scope = SystemScope();
        return await scope.ServiceProvider.GetRequiredService<ISender>().Send(query, ct);
    }

    private async Task<T> SendAsync<T>(ICommand<T> command, CancellationToken ct)
    {
        await using var scope = SystemScope();
        return await scope.ServiceProvider.GetRequiredService<ISender>().Send(command, ct);
    }

    private AsyncServiceScope SystemScope()
    {
        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentPrincipal>().Principal = SystemPrincipal.Instance;
        return scope;
    }
}
