using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Organisations;

/// <summary>The directory is open to every member of the network: organisations are not personal data.</summary>
[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem, Role.Auditor)]
public sealed record GetOrganisationQuery(Guid Id) : IQuery<OrganisationView>;

public sealed class GetOrganisationHandler(IDbSession session) : IQueryHandler<GetOrganisationQuery, OrganisationView>
{
    public async ValueTask<OrganisationView> Handle(GetOrganisationQuery query, CancellationToken ct) =>
        await OrganisationReader.FindAsync(session, query.Id, ct) ?? throw new NotFoundException("The organisation");
}
