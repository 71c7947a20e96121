using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Webhooks;

/// <summary>
/// Ends a subscription: nothing more is sent to it, deliveries still waiting are cancelled. The row stays (marked
/// deleted) so the attempts already made remain on record.
/// </summary>
[AllowedRoles(Role.OrgAdmin, Role.PartnerSystem)]
public sealed record DeleteWebhookCommand(Guid Id) : ICommand<WebhookView>;

public sealed class DeleteWebhookHandler(IDbSession session, IAuditLog audit, ICurrentPrincipal current, Clock clock) : ICommandHandler<DeleteWebhookCommand, WebhookView>
{
    public async ValueTask<WebhookView> Handle(DeleteWebhookCommand command, CancellationToken ct)
    {
        var organisationId = current.Principal!.OrganisationId;
        var row = await WebhookStore.FindOwnAsync(session, command.Id, organisationId, ct);
        var connection = await session.ConnectionAsync(ct);
        var now = clock.Now();
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_subscriptions SET deleted_at = @Now, active = @Inactive WHERE id = @Id AND deleted_at IS NULL",
            new { command.Id, Now = now, Inactive = false }, session.Transaction, cancellationToken: ct));
        if (deleted == 0) throw new NotFoundException("The webhook subscription");
        var cancelled = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE webhook_deliveries SET state = @Cancelled, next_attempt_at = NULL WHERE subscription_id = @Id AND state = @Pending",
            new { command.Id, Cancelled = WebhookDeliveryStates.Cancelled, Pending = WebhookDeliveryStates.Pending }, session.Transaction, cancellationToken: ct));
        audit.Record(new AuditEntry(AuditStreams.Organisation(organisationId), "webhook.deleted", new Dictionary<string, object?>
        {
            ["subscriptionId"] = command.Id, ["cancelledDeliveries"] = cancelled,
        }));
        return row.ToView() with { Active = false };
    }
}
