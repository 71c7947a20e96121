using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Referrals;

[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record GetReferralQuery(Guid Id) : IQuery<ReferralView>;

public sealed class GetReferralHandler(ReferralReader reader, ICurrentPrincipal current) : IQueryHandler<GetReferralQuery, ReferralView>
{
    public async ValueTask<ReferralView> Handle(GetReferralQuery query, CancellationToken ct)
    {
        var organisationId = current.Principal!.OrganisationId;
        var row = await reader.FindVisibleAsync(query.Id, organisationId, ct) ?? throw new NotFoundException("The referral");
        return await reader.ViewAsync(row, organisationId, ct);
    }
}
