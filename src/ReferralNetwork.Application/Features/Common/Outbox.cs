using Dapper;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Features.Common;

/// <summary>
/// Notifications waiting to be fanned out to webhooks, written in the same transaction as the change they announce
/// (a transactional outbox: no event without its change, no change without its event). <c>organisation_ids</c> holds
/// the organisations to notify as comma-separated lowercase UUIDs; <c>fanned_out_at</c> stays null until dispatched.
/// </summary>
public static class Outbox
{
    public static async Task EnqueueAsync(IDbSession session, string eventType, Guid referralId, string status, IEnumerable<Guid> organisationIds,
        DateTimeOffset occurredAt, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO outbox_messages (id, event_type, referral_id, status, organisation_ids, occurred_at, fanned_out_at)
            VALUES (@Id, @EventType, @ReferralId, @Status, @OrganisationIds, @OccurredAt, NULL)
            """, new
        {
            Id = Guid.CreateVersion7(), EventType = eventType, ReferralId = referralId, Status = status,
            OrganisationIds = string.Join(',', organisationIds.Where(id => id != Guid.Empty).Distinct().Select(id => id.ToString("D"))), OccurredAt = occurredAt,
        }, session.Transaction, cancellationToken: ct));
    }
}
