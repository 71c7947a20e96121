using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Organisations;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Me;

public sealed record MeView(Guid PrincipalId, string Name, IReadOnlyList<string> Roles, OrganisationView Organisation);

[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem, Role.Auditor)]
public sealed record GetMeQuery : IQuery<MeView>;

public sealed class GetMeHandler(IDbSession session, ICurrentPrincipal current) : IQueryHandler<GetMeQuery, MeView>
{
    public async ValueTask<MeView> Handle(GetMeQuery query, CancellationToken ct)
    {
        var principal = current.Principal!;
        var organisation = await OrganisationReader.FindAsync(session, principal.OrganisationId, ct) ?? throw new NotFoundException("Your organisation");
        return new MeView(principal.Id, principal.Name, principal.Roles.Order().Select(r => r.Code()).ToList(), organisation);
    }
}
