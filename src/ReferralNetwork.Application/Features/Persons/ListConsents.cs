using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>
/// The person's consent records, oldest first, withdrawn ones included: for the owner and the organisations involved.
/// Withdrawal reasons (free text) are shown to the owner, referrers and receivers, not to observers.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record ListConsentsQuery(Guid PersonId) : IQuery<ConsentList>;

public sealed class ListConsentsHandler(PersonStore persons, ConsentStore consents, ICurrentPrincipal current) : IQueryHandler<ListConsentsQuery, ConsentList>
{
    public async ValueTask<ConsentList> Handle(ListConsentsQuery query, CancellationToken ct)
    {
        var organisationId = current.Principal!.OrganisationId;
        var (person, _) = await persons.FindVisibleAsync(query.PersonId, organisationId, ct);
        var withReasons = await persons.MayReadFreeTextAsync(person, organisationId, ct);
        return new ConsentList(await consents.ViewAsync(person, await consents.ForPersonAsync(person.Id, ct), withReasons, ct));
    }
}
