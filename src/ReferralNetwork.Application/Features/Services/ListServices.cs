using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Services;

public sealed record ServiceView(string Code, string NameEn, string NameSr);

[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem, Role.Auditor)]
/// <summary>
/// The catalogue is small (a network offers a few dozen services) and read whole, so it is one page: nextCursor is
/// always null, kept so every list of the API has the same shape (like <c>GET /protocols</c>).
/// </summary>
public sealed record ListServicesQuery : IQuery<Page<ServiceView>>;

public sealed class ListServicesHandler(IDbSession session) : IQueryHandler<ListServicesQuery, Page<ServiceView>>
{
    public async ValueTask<Page<ServiceView>> Handle(ListServicesQuery query, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = await connection.QueryAsync<ServiceView>(new CommandDefinition(
            "SELECT code, name_en AS NameEn, name_sr AS NameSr FROM services WHERE active = @Active ORDER BY code",
            new { Active = true }, cancellationToken: ct));
        return new Page<ServiceView>(rows.ToList(), null);
    }
}
