using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Webhooks;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Webhooks;

/// <summary>What one pass did: messages fanned out, attempts made.</summary>
public sealed record WebhookDispatchResult(int MessagesFannedOut, int AttemptsMade);

/// <summary>
/// One pass of webhook delivery: fan out new outbox messages, then attempt every due delivery. Each attempt is claimed
/// first with a lease (<c>UPDATE … WHERE lease free</c>, one affected row or nothing), so dispatchers in several
/// replicas never send the same attempt; a replica that dies mid-attempt only delays the delivery until its lease
/// expires. Delivery is at least once: a receiver that answers after its lease ran out may see the event twice, with
/// the same <c>webhook-id</c>. Deliveries of a deactivated organisation are not attempted: they wait, pending and
/// without using up their retries, until the network admin reactivates it, and then go out.
/// </summary>
public sealed class WebhookDispatcher(
    ConnectionFactory factory, WebhookFanOut fanOut, WebhookSender sender, IPersonalDataProtector protector, IAuditAppender audit,
    Clock clock, IOptions<WebhookOptions> options, WebhookDeliverySlots slots, ILogger<WebhookDispatcher> logger)
{
    /// <summary>Who holds a lease: this dispatcher instance (a scope), in this process, on this machine.</summary>
    private readonly string _owner = LeaseOwner();

    /// <summary>One pass, awaited to its end: fan out, then attempt what is due (see <see cref="StartPassAsync"/>).</summary>
    public async Task<WebhookDispatchResult> RunOnceAsync(CancellationToken ct = default) => await await StartPassAsync(ct);

    /// <summary>
    /// Fans out new outbox messages and starts the due deliveries; returns once they are started, with a task that ends
    /// when they are done. Each subscription's due deliveries go out one after the other, oldest first, and one slot
    /// (<see cref="WebhookDeliverySlots"/>, <c>Webhooks:Parallelism</c> in all) serves one subscription at a time: a
    /// partner that accepts the connection and never answers holds one slot for one <c>Webhooks:Timeout</c> and no
    /// more — after an attempt that got no answer its other deliveries wait for a later pass (not charged an attempt),
    /// and a subscription still busy from an earlier pass is left alone. The hosted loop does not wait for a pass's
    /// attempts before it starts the next, so the other subscriptions keep their own timing.
    /// </summary>
    public async Task<Task<WebhookDispatchResult>> StartPassAsync(CancellationToken ct = default)
    {
        var settings = options.Value;
        var fannedOut = await fanOut.RunAsync(settings.BatchSize, ct);
        var due = await DueAsync(settings.BatchSize, ct);
        var runs = new List<Task<int>>();
        foreach (var subscription in due.GroupBy(d => d.SubscriptionId))
        {
            // Busy (an attempt of an earlier pass still waits for its answer) or every slot taken: a later pass.
            if (!slots.TryTake(subscription.Key)) continue;
            runs.Add(RunSubscriptionAsync(subscription.Key, subscription.Select(d => d.Id).ToList(), settings.Lease, ct));
        }
        return Completion(fannedOut, runs);
    }

    private static async Task<WebhookDispatchResult> Completion(int fannedOut, List<Task<int>> runs) =>
        new(fannedOut, (await Task.WhenAll(runs)).Sum());

    private async Task<int> RunSubscriptionAsync(Guid subscriptionId, IReadOnlyList<Guid> deliveries, TimeSpan lease, CancellationToken ct)
    {
        await Task.Yield(); // the pass goes on starting the other subscriptions
        var attempts = 0;
        try
        {
            foreach (var id in deliveries)
            {
                try
                {
                    var outcome = await AttemptAsync(id, lease, ct);
                    if (outcome is null) continue;
                    attempts++;
                    // No answer (a timeout, no connection): the partner is down or hanging, and its other deliveries
                    // would each cost the same. They stay due, unattempted, for a later pass.
                    if (outcome.StatusCode is null) break;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One broken delivery (an unreadable secret, a lost connection) must not hold up the others; its
                    // lease runs out and a later pass tries it again.
                    factory.Observe(e);
                    logger.LogError(e, "Webhook delivery {DeliveryId} could not be attempted.", id);
                }
            }
        }
        finally
        {
            slots.Release(subscriptionId);
        }
        return attempts;
    }

    private sealed record DueDelivery
    {
        public Guid Id { get; init; }
        public Guid SubscriptionId { get; init; }
    }

    private async Task<IReadOnlyList<DueDelivery>> DueAsync(int batchSize, CancellationToken ct)
    {
        await using var connection = await factory.OpenAsync(ct);
        return (await connection.QueryAsync<DueDelivery>(new CommandDefinition($"""
            SELECT d.id, d.subscription_id AS SubscriptionId FROM webhook_deliveries d
            JOIN webhook_subscriptions s ON s.id = d.subscription_id
            JOIN organisations o ON o.id = s.organisation_id
            WHERE d.state = @Pending AND d.next_attempt_at <= @Now AND (d.lease_until IS NULL OR d.lease_until < @Now) AND o.active = @Active
            ORDER BY d.next_attempt_at, d.id
            {factory.Dialect.Limit("@Take")}
            """, new { Pending = WebhookDeliveryStates.Pending, Now = clock.Now(), Take = batchSize, Active = true }, cancellationToken: ct)))
            .ToList();
    }

    /// <summary>Claims, sends and records one attempt; null when another dispatcher holds the delivery or it is no longer due.</summary>
    private async Task<WebhookAttemptOutcome?> AttemptAsync(Guid deliveryId, TimeSpan lease, CancellationToken ct)
    {
        await using var session = new DbSession(factory);
        var connection = await session.ConnectionAsync(ct);
        var claimedAt = clock.Now();
        var claimed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE webhook_deliveries SET lease_owner = @Owner, lease_until = @Until
            WHERE id = @Id AND state = @Pending AND next_attempt_at <= @Now AND (lease_until IS NULL OR lease_until < @Now)
            """, new { Id = deliveryId, Owner = _owner, Until = claimedAt + lease, Pending = WebhookDeliveryStates.Pending, Now = claimedAt },
            cancellationToken: ct));
        if (claimed != 1) return null;

        var delivery = await connection.QuerySingleAsync<ClaimedDelivery>(new CommandDefinition("""
            SELECT d.id, d.subscription_id AS SubscriptionId, d.event_type AS EventType, d.referral_id AS ReferralId, d.referral_status AS ReferralStatus,
                   d.occurred_at AS OccurredAt, d.data, d.attempts, d.round_attempts AS RoundAttempts, s.organisation_id AS OrganisationId, s.url, s.active,
                   s.secret_sealed AS SecretSealed, s.wrapped_key AS WrappedKey, s.master_key_id AS MasterKeyId, o.active AS OrganisationActive
            FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id JOIN organisations o ON o.id = s.organisation_id
            WHERE d.id = @Id
            """, new { Id = deliveryId }, cancellationToken: ct));
        if (!delivery.OrganisationActive)
        {
            // Deactivated since it was found due: the delivery waits, unattempted, for the organisation's reactivation.
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL WHERE id = @Id AND lease_owner = @Owner",
                new { Id = deliveryId, Owner = _owner }, cancellationToken: ct));
            return null;
        }
        if (!delivery.Active)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE webhook_deliveries SET state = @Cancelled, next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL
                WHERE id = @Id AND lease_owner = @Owner
                """, new { Id = deliveryId, Owner = _owner, Cancelled = WebhookDeliveryStates.Cancelled }, cancellationToken: ct));
            return null;
        }

        var secret = protector.Open(protector.Unwrap(delivery.WrappedKey, delivery.MasterKeyId), delivery.SecretSealed,
            WebhookSecrets.SealingContext(delivery.SubscriptionId));
        var message = new WebhookMessage(delivery.Id, delivery.EventType, delivery.OccurredAt, delivery.ReferralId, delivery.ReferralStatus, delivery.Data);
        var attemptedAt = clock.Now();
        var outcome = await sender.SendAsync(delivery.Url, secret, message, ct);
        await RecordAsync(session, delivery, attemptedAt, outcome, ct);
        return outcome;
    }

    private async Task RecordAsync(DbSession session, ClaimedDelivery delivery, DateTimeOffset attemptedAt, WebhookAttemptOutcome outcome, CancellationToken ct)
    {
        var now = clock.Now();
        var round = delivery.RoundAttempts + 1;
        var retryIn = outcome.Delivered || outcome.Gone ? null : WebhookRetrySchedule.NextDelay(round, outcome.RetryAfter, Random.Shared);
        var next = retryIn is { } wait ? now + wait : (DateTimeOffset?)null;
        var state = outcome.Delivered ? WebhookDeliveryStates.Delivered : next is null ? WebhookDeliveryStates.Failed : WebhookDeliveryStates.Pending;
        await using (var work = await UnitOfWork.BeginAsync(session, ct))
        {
            var connection = work.Connection;
            var owned = await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE webhook_deliveries
                SET state = @State, attempts = @Attempt, round_attempts = @Round, next_attempt_at = @Next, last_status_code = @StatusCode,
                    delivered_at = @DeliveredAt, lease_owner = NULL, lease_until = NULL
                WHERE id = @Id AND lease_owner = @Owner
                """, new
            {
                delivery.Id, Owner = _owner, State = state, Attempt = delivery.Attempts + 1, Round = round, Next = next, outcome.StatusCode,
                DeliveredAt = outcome.Delivered ? now : (DateTimeOffset?)null,
            }, work.Transaction, cancellationToken: ct));
            if (owned == 0)
            {
                // The lease ran out mid-attempt and another dispatcher took over: it numbers and records its own attempt.
                logger.LogWarning("Lost the lease of webhook delivery {DeliveryId} during an attempt; not recording it.", delivery.Id);
                return;
            }
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code, error, next_attempt_at)
                VALUES (@Id, @Attempt, @AttemptedAt, @DurationMs, @StatusCode, @Error, @Next)
                """, new { delivery.Id, Attempt = delivery.Attempts + 1, AttemptedAt = attemptedAt, outcome.DurationMs, outcome.StatusCode, outcome.Error, Next = next },
                work.Transaction, cancellationToken: ct));
            if (outcome.Gone) await DisableAsync(session, delivery, now, ct);
            await work.CommitAsync(ct);
        }
        Telemetry.WebhookAttempts.Add(1, new KeyValuePair<string, object?>("result",
            outcome.Delivered ? "delivered" : outcome.Gone ? "gone" : state == WebhookDeliveryStates.Failed ? "failed" : "retry"));
        if (state == WebhookDeliveryStates.Failed)
            logger.LogWarning("Webhook delivery {DeliveryId} to {Url} failed after {Attempts} attempts.", delivery.Id, WebhookUrls.Redacted(delivery.Url), delivery.Attempts + 1);
    }

    /// <summary>410 Gone: the receiver says the endpoint is retired. The subscription stops and its waiting deliveries are cancelled.</summary>
    private async Task DisableAsync(DbSession session, ClaimedDelivery delivery, DateTimeOffset now, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var disabled = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE webhook_subscriptions SET active = @Inactive, disabled_reason = @Reason, disabled_at = @Now
            WHERE id = @Id AND active = @Active
            """, new { Id = delivery.SubscriptionId, Inactive = false, Active = true, Reason = "gone", Now = now }, session.Transaction, cancellationToken: ct));
        if (disabled == 0) return;
        var cancelled = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_deliveries SET state = @Cancelled, next_attempt_at = NULL WHERE subscription_id = @Id AND state = @Pending",
            new { Id = delivery.SubscriptionId, Cancelled = WebhookDeliveryStates.Cancelled, Pending = WebhookDeliveryStates.Pending },
            session.Transaction, cancellationToken: ct));
        await audit.AppendAsync(session, null, [new AuditEntry(AuditStreams.Organisation(delivery.OrganisationId), "webhook.disabled", new Dictionary<string, object?>
        {
            ["subscriptionId"] = delivery.SubscriptionId, ["reason"] = "gone", ["deliveryId"] = delivery.Id, ["cancelledDeliveries"] = cancelled,
        })], ct);
        logger.LogInformation("Webhook subscription {SubscriptionId} disabled: its receiver answered 410 Gone.", delivery.SubscriptionId);
    }

    private static string LeaseOwner()
    {
        var owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
        return owner.Length <= 100 ? owner : owner[^100..];
    }

    private sealed record ClaimedDelivery
    {
        public Guid Id { get; init; }
        public Guid SubscriptionId { get; init; }
        public string EventType { get; init; } = "";
        public Guid? ReferralId { get; init; }
        public string? ReferralStatus { get; init; }
        public DateTimeOffset OccurredAt { get; init; }
        public string? Data { get; init; }
        public int Attempts { get; init; }
        public int RoundAttempts { get; init; }
        public Guid OrganisationId { get; init; }
        public string Url { get; init; } = "";
        public bool Active { get; init; }
        public byte[] SecretSealed { get; init; } = [];
        public byte[] WrappedKey { get; init; } = [];
        public string MasterKeyId { get; init; } = "";
        public bool OrganisationActive { get; init; }
    }
}
