using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Referrals;

[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record GetReferralQuery(Guid Id) : IQuery<ReferralView>;

public sealed class GetReferralHandler(ReferralRepository repository, ReferralReader reader, ICurrentPrincipal current, Clock clock)
    : IQueryHandler<GetReferralQuery, ReferralView>
{
    public async ValueTask<ReferralView> Handle(GetReferralQuery query, CancellationToken ct)
    {
        var organisationId = current.Principal!.OrganisationId;
        var loaded = await repository.LoadAsync(query.Id, ct) ?? throw new NotFoundException("The referral");
        var now = clock.Now();
        if (loaded.Referral.PartyOf(organisationId) is not null) return await reader.ViewAsync(loaded, organisationId, now, ct);
        // The escalation target of a missed deadline sees what it needs to act on it, and nothing about the person.
        if (!loaded.Referral.Escalations.Contains(organisationId)) throw new NotFoundException("The referral");
        var view = await reader.ViewAsync(loaded, organisationId, now, ct);
        return view with { Relation = ReferralReader.EscalationRelation, AllowedActions = [], Reason = null, Person = view.Person with { Initials = null } };
    }
}
