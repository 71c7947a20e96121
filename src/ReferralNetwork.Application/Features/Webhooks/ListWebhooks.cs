using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Webhooks;

/// <summary>The caller's organisation's subscriptions (at most <see cref="CreateWebhookHandler.MaxPerOrganisation"/>), oldest first.</summary>
[AllowedRoles(Role.OrgAdmin, Role.PartnerSystem)]
public sealed record ListWebhooksQuery : IQuery<IReadOnlyList<WebhookView>>;

public sealed class ListWebhooksHandler(IDbSession session, ICurrentPrincipal current) : IQueryHandler<ListWebhooksQuery, IReadOnlyList<WebhookView>>
{
    public async ValueTask<IReadOnlyList<WebhookView>> Handle(ListWebhooksQuery query, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = await connection.QueryAsync<WebhookRow>(new CommandDefinition(
            $"SELECT {WebhookRow.Columns} FROM webhook_subscriptions WHERE organisation_id = @Org AND deleted_at IS NULL ORDER BY created_at, id",
            new { Org = current.Principal!.OrganisationId }, cancellationToken: ct));
        return rows.Select(r => r.ToView()).ToList();
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
