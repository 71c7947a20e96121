using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Webhooks;

/// <summary>A subscription's deliveries, newest first by keyset (created_at, id), each with every attempt made.</summary>
[AllowedRoles(Role.OrgAdmin, Role.PartnerSystem)]
public sealed record ListWebhookDeliveriesQuery(Guid SubscriptionId, string? Cursor = null, int? Limit = null) : IQuery<Page<WebhookDeliveryView>>;

public sealed class ListWebhookDeliveriesValidator : AbstractValidator<ListWebhookDeliveriesQuery>
{
    public ListWebhookDeliveriesValidator()
    {
        RuleFor(q => q.Limit).IsLimit();
        RuleFor(q => q.Cursor).MaximumLength(200);
    }
}

public sealed class ListWebhookDeliveriesHandler(IDbSession session, ICurrentPrincipal current)
    : IQueryHandler<ListWebhookDeliveriesQuery, Page<WebhookDeliveryView>>
{
    public async ValueTask<Page<WebhookDeliveryView>> Handle(ListWebhookDeliveriesQuery query, CancellationToken ct)
    {
        await WebhookStore.FindOwnAsync(session, query.SubscriptionId, current.Principal!.OrganisationId, ct);
        var cursor = Cursor.Decode(query.Cursor);
        var limit = query.Limit ?? Paging.DefaultLimit;
        // The cursor condition is added only when there is a cursor: PostgreSQL cannot type a NULL parameter in "@p IS NULL".
        var sql = $"""
            SELECT {WebhookDeliveryRow.Columns}
            FROM webhook_deliveries d
            WHERE d.subscription_id = @Id{(cursor is null ? "" : " AND d.created_at <= @At AND (d.created_at < @At OR (d.created_at = @At AND d.id < @BeforeId))")}
            ORDER BY d.created_at DESC, d.id DESC
            {session.Dialect.Limit("@Take")}
            """;
        var connection = await session.ConnectionAsync(ct);
        var rows = (await connection.QueryAsync<WebhookDeliveryRow>(new CommandDefinition(sql,
            new { Id = query.SubscriptionId, At = cursor?.At, BeforeId = cursor?.Id, Take = limit + 1 }, cancellationToken: ct))).ToList();
        var page = await WebhookStore.WithAttemptsAsync(session, rows.Take(limit).ToList(), ct);
        var next = rows.Count > limit ? new Cursor(page[^1].CreatedAt, page[^1].Id).Encode() : null;
        return new Page<WebhookDeliveryView>(page, next);
    }
}
