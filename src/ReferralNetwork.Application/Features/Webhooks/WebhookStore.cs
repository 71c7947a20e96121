using Dapper;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Features.Webhooks;

/// <summary>Reads shared by the webhook use cases. A subscription is visible to its own organisation only, and not once deleted.</summary>
internal static class WebhookStore
{
    public static async Task<WebhookRow> FindOwnAsync(IDbSession session, Guid id, Guid organisationId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<WebhookRow>(new CommandDefinition(
            $"SELECT {WebhookRow.Columns} FROM webhook_subscriptions WHERE id = @Id AND organisation_id = @Org AND deleted_at IS NULL",
            new { Id = id, Org = organisationId }, session.Transaction, cancellationToken: ct))
            ?? throw new NotFoundException("The webhook subscription");
    }

    public static async Task<IReadOnlyList<WebhookDeliveryView>> WithAttemptsAsync(IDbSession session, IReadOnlyList<WebhookDeliveryRow> deliveries, CancellationToken ct)
    {
        if (deliveries.Count == 0) return [];
        var connection = await session.ConnectionAsync(ct);
        var attempts = (await connection.QueryAsync<WebhookAttemptRow>(new CommandDefinition(
                $"SELECT {WebhookAttemptRow.Columns} FROM webhook_attempts WHERE {session.Dialect.InList("delivery_id", "@Ids")} ORDER BY delivery_id, attempt",
                new { Ids = session.Dialect.IdList(deliveries.Select(d => d.Id)) }, session.Transaction, cancellationToken: ct)))
            .ToLookup(a => a.DeliveryId);
        return deliveries.Select(d => d.ToView(attempts[d.Id].OrderBy(a => a.Attempt).Select(a => a.ToView()).ToList())).ToList();
    }
}
