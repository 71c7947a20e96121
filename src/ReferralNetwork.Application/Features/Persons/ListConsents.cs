using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>The person's consent records, oldest first, withdrawn ones included: for the owner and the organisations involved.</summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record ListConsentsQuery(Guid PersonId) : IQuery<ConsentList>;

public sealed class ListConsentsHandler(PersonStore persons, ConsentStore consents, ICurrentPrincipal current) : IQueryHandler<ListConsentsQuery, ConsentList>
{
    public async ValueTask<ConsentList> Handle(ListConsentsQuery query, CancellationToken ct)
    {
        var (person, _) = await persons.FindVisibleAsync(query.PersonId, current.Principal!.OrganisationId, ct);
        return new ConsentList(consents.View(person, await consents.ForPersonAsync(person.Id, ct)));
    }
}
