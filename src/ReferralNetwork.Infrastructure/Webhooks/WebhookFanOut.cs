using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Webhooks;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Webhooks;

/// <summary>
/// Turns outbox messages into deliveries: one per active subscription of an organisation the message names (the
/// referrer, receiver and observers of a transition; the escalation target of a missed deadline) whose filter takes
/// the event. The deliveries and the message's <c>fanned_out_at</c> commit together, and (subscription, message) is
/// unique, so two dispatchers fanning out the same message at once produce one delivery each.
/// </summary>
public sealed class WebhookFanOut(ConnectionFactory factory, Clock clock)
{
    public async Task<int> RunAsync(int batchSize, CancellationToken ct)
    {
        await using var session = new DbSession(factory);
        var connection = await session.ConnectionAsync(ct);
        var messages = (await connection.QueryAsync<OutboxRow>(new CommandDefinition($"""
            SELECT id, event_type AS EventType, referral_id AS ReferralId, status, organisation_ids AS OrganisationIds, occurred_at AS OccurredAt, data
            FROM outbox_messages WHERE fanned_out_at IS NULL
            ORDER BY occurred_at, id
            {session.Dialect.Limit("@Take")}
            """, new { Take = batchSize }, cancellationToken: ct))).ToList();
        if (messages.Count == 0) return 0;

        var insert = session.Dialect.InsertIfAbsent("webhook_deliveries",
            "id, subscription_id, message_id, event_type, referral_id, referral_status, occurred_at, state, attempts, round_attempts, next_attempt_at, created_at, data",
            "@Id, @SubscriptionId, @MessageId, @EventType, @ReferralId, @ReferralStatus, @OccurredAt, @State, 0, 0, @Now, @Now, @Data",
            "subscription_id, message_id");
        var fannedOut = 0;
        // One unit of work for the batch: one commit (one fsync on SQLite) however many messages there are.
        await using var work = await UnitOfWork.BeginAsync(session, ct);
        var now = clock.Now();
        foreach (var message in messages)
        {
            var organisations = message.Organisations();
            var subscriptions = organisations.Count == 0 ? [] : await connection.QueryAsync<(Guid Id, string Events)>(new CommandDefinition(
                $"SELECT id, events FROM webhook_subscriptions WHERE active = @Active AND {session.Dialect.InList("organisation_id", "@Orgs")} ORDER BY id",
                new { Active = true, Orgs = session.Dialect.IdList(organisations) }, work.Transaction, cancellationToken: ct));
            foreach (var subscription in subscriptions.Where(s => WebhookEvents.Matches(s.Events, message.EventType)))
                await connection.ExecuteAsync(new CommandDefinition(insert, new
                {
                    Id = Guid.CreateVersion7(), SubscriptionId = subscription.Id, MessageId = message.Id, message.EventType, message.ReferralId,
                    ReferralStatus = message.Status, message.OccurredAt, State = WebhookDeliveryStates.Pending, Now = now, message.Data,
                }, work.Transaction, cancellationToken: ct));
            fannedOut += await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE outbox_messages SET fanned_out_at = @Now WHERE id = @Id AND fanned_out_at IS NULL",
                new { message.Id, Now = now }, work.Transaction, cancellationToken: ct));
        }
        await work.CommitAsync(ct);
        return fannedOut;
    }

    private sealed record OutboxRow
    {
        public Guid Id { get; init; }
        public string EventType { get; init; } = "";
        public Guid? ReferralId { get; init; }
        public string? Status { get; init; }
        public string OrganisationIds { get; init; } = "";
        public DateTimeOffset OccurredAt { get; init; }
        public string? Data { get; init; }

        /// <summary>The comma-separated organisation ids the writer addressed; anything that is not an id is ignored.</summary>
        public IReadOnlyList<Guid> Organisations() => OrganisationIds
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => Guid.TryParse(s, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).Distinct().ToList();
    }
}
