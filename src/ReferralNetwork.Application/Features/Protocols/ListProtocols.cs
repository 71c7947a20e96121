using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Protocols;

/// <summary>
/// The latest version of every protocol, by code. Protocols are few (a network has a handful), so the list is one
/// page; <c>nextCursor</c> is always null and kept only so every list of the API has the same shape.
/// </summary>
[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem, Role.Auditor)]
public sealed record ListProtocolsQuery : IQuery<Page<ProtocolVersionView>>;

public sealed class ListProtocolsHandler(IDbSession session) : IQueryHandler<ListProtocolsQuery, Page<ProtocolVersionView>>
{
    public async ValueTask<Page<ProtocolVersionView>> Handle(ListProtocolsQuery query, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = await connection.QueryAsync<ProtocolRow>(new CommandDefinition($"""
            SELECT {ProtocolRow.Columns} FROM protocols p
            WHERE p.version = (SELECT MAX(v.version) FROM protocols v WHERE v.code = p.code)
            ORDER BY p.code
            """, cancellationToken: ct));
        return new Page<ProtocolVersionView>(rows.Select(r => r.ToView()).ToList(), null);
    }
}
