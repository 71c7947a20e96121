using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Protocols;

/// <summary>One published version: what a referral pinned to <c>protocolCode</c> + <c>protocolVersion</c> follows.</summary>
[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem, Role.Auditor)]
public sealed record GetProtocolVersionQuery(string Code, int Version) : IQuery<ProtocolVersionView>;

public sealed class GetProtocolVersionHandler(IDbSession session) : IQueryHandler<GetProtocolVersionQuery, ProtocolVersionView>
{
    public async ValueTask<ProtocolVersionView> Handle(GetProtocolVersionQuery query, CancellationToken ct)
    {
        if (!ProtocolRow.CouldBeCode(query.Code)) throw new NotFoundException("The protocol version");
        var connection = await session.ConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<ProtocolRow>(new CommandDefinition(
            $"SELECT {ProtocolRow.Columns} FROM protocols p WHERE p.code = @Code AND p.version = @Version",
            new { query.Code, query.Version }, cancellationToken: ct));
        return row?.ToView() ?? throw new NotFoundException("The protocol version");
    }
}
