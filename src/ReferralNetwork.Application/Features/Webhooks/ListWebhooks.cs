using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Webhooks;

/// <summary>The caller's organisation's subscriptions (at most <see cref="CreateWebhookHandler.MaxPerOrganisation"/>), oldest first, paged like every list.</summary>
[AllowedRoles(Role.OrgAdmin, Role.PartnerSystem)]
public sealed record ListWebhooksQuery(string? Cursor = null, int? Limit = null) : IQuery<Page<WebhookView>>;

public sealed class ListWebhooksValidator : AbstractValidator<ListWebhooksQuery>
{
    public ListWebhooksValidator()
    {
        RuleFor(q => q.Limit).IsLimit();
        RuleFor(q => q.Cursor).MaximumLength(200);
    }
}

public sealed class ListWebhooksHandler(IDbSession session, ICurrentPrincipal current) : IQueryHandler<ListWebhooksQuery, Page<WebhookView>>
{
    public async ValueTask<Page<WebhookView>> Handle(ListWebhooksQuery query, CancellationToken ct)
    {
        var cursor = Common.Cursor.Decode(query.Cursor);
        var limit = query.Limit ?? Paging.DefaultLimit;
        var connection = await session.ConnectionAsync(ct);
        var rows = (await connection.QueryAsync<WebhookRow>(new CommandDefinition($"""
            SELECT {WebhookRow.Columns} FROM webhook_subscriptions
            WHERE organisation_id = @Org AND deleted_at IS NULL{(cursor is null ? "" : " AND (created_at > @At OR (created_at = @At AND id > @AfterId))")}
            ORDER BY created_at, id
            {session.Dialect.Limit("@Take")}
            """, new { Org = current.Principal!.OrganisationId, At = cursor?.At, AfterId = cursor?.Id, Take = limit + 1 }, cancellationToken: ct))).ToList();
        var page = rows.Take(limit).ToList();
        var next = rows.Count > limit ? new Cursor(page[^1].CreatedAt, page[^1].Id).Encode() : null;
        return new Page<WebhookView>(page.Select(r => r.ToView()).ToList(), next);
    }
}

/// <summary>One subscription of the caller's organisation; another organisation's is not found (404).</summary>
[AllowedRoles(Role.OrgAdmin, Role.PartnerSystem)]
public sealed record GetWebhookQuery(Guid Id) : IQuery<WebhookView>;

public sealed class GetWebhookHandler(IDbSession session, ICurrentPrincipal current) : IQueryHandler<GetWebhookQuery, WebhookView>
{
    public async ValueTask<WebhookView> Handle(GetWebhookQuery query, CancellationToken ct) =>
        (await WebhookStore.FindOwnAsync(session, query.Id, current.Principal!.OrganisationId, ct)).ToView();
}
