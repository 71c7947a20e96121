using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Services;

public sealed record ServiceView(string Code, string NameEn, string NameSr);

[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem, Role.Auditor)]
public sealed record ListServicesQuery : IQuery<IReadOnlyList<ServiceView>>;

public sealed class ListServicesHandler(IDbSession session) : IQueryHandler<ListServicesQuery, IReadOnlyList<ServiceView>>
{
    public async ValueTask<IReadOnlyList<ServiceView>> Handle(ListServicesQuery query, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = await connection.QueryAsync<ServiceView>(new CommandDefinition(
            "SELECT code, name_en AS NameEn, name_sr AS NameSr FROM services WHERE active = @Active ORDER BY code",
            new { Active = true }, cancellationToken: ct));
        return rows.ToList();
    }
}
