using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.ApiKeys;

[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin)]
public sealed record ListApiKeysQuery(Guid OrganisationId) : IQuery<IReadOnlyList<ApiKeyView>>;

public sealed class ListApiKeysHandler(IDbSession session, ICurrentPrincipal current) : IQueryHandler<ListApiKeysQuery, IReadOnlyList<ApiKeyView>>
{
    public async ValueTask<IReadOnlyList<ApiKeyView>> Handle(ListApiKeysQuery query, CancellationToken ct)
    {
        var principal = current.Principal!;
        if (!principal.Has(Role.NetworkAdmin) && principal.OrganisationId != query.OrganisationId)
            throw new NotFoundException("The organisation");
        var connection = await session.ConnectionAsync(ct);
        if (await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM organisations WHERE id = @Id", new { Id = query.OrganisationId }, cancellationToken: ct)) == 0)
            throw new NotFoundException("The organisation");
        var rows = await connection.QueryAsync<ApiKeyRow>(new CommandDefinition("""
            SELECT id, organisation_id AS OrganisationId, name, roles, prefix, created_at AS CreatedAt, revoked_at AS RevokedAt, expires_at AS ExpiresAt
            FROM api_keys WHERE organisation_id = @Id ORDER BY created_at, id
            """, new { Id = query.OrganisationId }, cancellationToken: ct));
        return rows.Select(r => r.ToView()).ToList();
    }
}
