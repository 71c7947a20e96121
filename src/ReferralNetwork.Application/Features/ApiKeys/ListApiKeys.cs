using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.ApiKeys;

[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin)]
public sealed record ListApiKeysQuery(Guid OrganisationId, string? Cursor = null, int? Limit = null) : IQuery<Page<ApiKeyView>>;

public sealed class ListApiKeysValidator : AbstractValidator<ListApiKeysQuery>
{
    public ListApiKeysValidator()
    {
        RuleFor(q => q.Limit).IsLimit();
        RuleFor(q => q.Cursor).MaximumLength(200);
    }
}

/// <summary>The organisation's keys, oldest first, with keyset paging (nextCursor) like every list.</summary>
public sealed class ListApiKeysHandler(IDbSession session, ICurrentPrincipal current) : IQueryHandler<ListApiKeysQuery, Page<ApiKeyView>>
{
    public async ValueTask<Page<ApiKeyView>> Handle(ListApiKeysQuery query, CancellationToken ct)
    {
        var cursor = Common.Cursor.Decode(query.Cursor);
        var limit = query.Limit ?? Paging.DefaultLimit;
        var principal = current.Principal!;
        if (!principal.Has(Role.NetworkAdmin) && principal.OrganisationId != query.OrganisationId)
            throw new NotFoundException("The organisation");
        var connection = await session.ConnectionAsync(ct);
        if (await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM organisations WHERE id = @Id", new { Id = query.OrganisationId }, cancellationToken: ct)) == 0)
            throw new NotFoundException("The organisation");
        var rows = (await connection.QueryAsync<ApiKeyRow>(new CommandDefinition($"""
            SELECT id, organisation_id AS OrganisationId, name, roles, prefix, created_at AS CreatedAt, revoked_at AS RevokedAt, expires_at AS ExpiresAt
            FROM api_keys WHERE organisation_id = @Id{(cursor is null ? "" : " AND (created_at > @At OR (created_at = @At AND id > @AfterId))")}
            ORDER BY created_at, id
            {session.Dialect.Limit("@Take")}
            """, new { Id = query.OrganisationId, At = cursor?.At, AfterId = cursor?.Id, Take = limit + 1 }, cancellationToken: ct))).ToList();
        var page = rows.Take(limit).ToList();
        var next = rows.Count > limit ? new Cursor(page[^1].CreatedAt, page[^1].Id).Encode() : null;
        return new Page<ApiKeyView>(page.Select(r => r.ToView()).ToList(), next);
    }
}
