using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Webhooks;

/// <summary>
/// Sends a delivery again (after a receiver's outage, or to replay one): it becomes due now and gets a fresh retry
/// schedule. The <c>webhook-id</c> stays the same, so a receiver that already processed it can recognise it.
/// </summary>
[AllowedRoles(Role.OrgAdmin, Role.PartnerSystem)]
public sealed record RedeliverWebhookCommand(Guid SubscriptionId, Guid DeliveryId) : ICommand<WebhookDeliveryView>;

public sealed class RedeliverWebhookHandler(IDbSession session, IAuditLog audit, ICurrentPrincipal current, Clock clock)
    : ICommandHandler<RedeliverWebhookCommand, WebhookDeliveryView>
{
    public async ValueTask<WebhookDeliveryView> Handle(RedeliverWebhookCommand command, CancellationToken ct)
    {
        var organisationId = current.Principal!.OrganisationId;
        var subscription = await WebhookStore.FindOwnAsync(session, command.SubscriptionId, organisationId, ct);
        if (!subscription.Active)
            throw new ConflictException($"The subscription was disabled ({subscription.DisabledReason}); subscribe again to receive events.");
        var connection = await session.ConnectionAsync(ct);
        var now = clock.Now();
        // An attempt in flight holds a lease; taking the delivery from under it would send the same attempt twice.
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE webhook_deliveries SET state = @Pending, round_attempts = 0, next_attempt_at = @Now
            WHERE id = @DeliveryId AND subscription_id = @SubscriptionId AND (lease_until IS NULL OR lease_until < @Now)
            """, new { command.DeliveryId, command.SubscriptionId, Pending = WebhookDeliveryStates.Pending, Now = now },
            session.Transaction, cancellationToken: ct));
        var row = await connection.QuerySingleOrDefaultAsync<WebhookDeliveryRow>(new CommandDefinition(
            $"SELECT {WebhookDeliveryRow.Columns} FROM webhook_deliveries d WHERE d.id = @DeliveryId AND d.subscription_id = @SubscriptionId",
            new { command.DeliveryId, command.SubscriptionId }, session.Transaction, cancellationToken: ct))
            ?? throw new NotFoundException("The delivery");
        if (changed == 0) throw new ConflictException("An attempt of this delivery is in flight; try again in a minute.");
        audit.Record(new AuditEntry(AuditStreams.Organisation(organisationId), "webhook.redelivery_requested", new Dictionary<string, object?>
        {
            ["subscriptionId"] = command.SubscriptionId, ["deliveryId"] = command.DeliveryId,
        }));
        return (await WebhookStore.WithAttemptsAsync(session, [row], ct))[0];
    }
}
