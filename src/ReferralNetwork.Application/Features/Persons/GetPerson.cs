using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>
/// Reading an identity is a command, not a query: it appends a <c>person.identity_read</c> audit event in the same
/// transaction — who (the event's actor: principal, organisation, role), which person, through which referral — so no
/// read goes unrecorded. Organisations neither owning the person nor involved in a referral of theirs get 404.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record GetPersonCommand(Guid Id, Guid? ReferralId = null) : ICommand<PersonView>;

public sealed class GetPersonHandler(PersonStore persons, ICurrentPrincipal current, IAuditLog audit) : ICommandHandler<GetPersonCommand, PersonView>
{
    public async ValueTask<PersonView> Handle(GetPersonCommand command, CancellationToken ct)
    {
        var organisationId = current.Principal!.OrganisationId;
        var (person, via) = await persons.FindVisibleAsync(command.Id, organisationId, ct, command.ReferralId);
        var identity = await persons.OpenIdentityAsync(person, ct);
        audit.Record(new AuditEntry(AuditStreams.Person(person.Id), "person.identity_read", new Dictionary<string, object?>
        {
            ["personId"] = person.Id, ["organisationId"] = organisationId, ["viaReferralId"] = via,
            ["basis"] = person.OwnerOrganisationId == organisationId ? "owner" : "referral", ["erased"] = identity is null,
        }));
        var view = PersonView.Of(person, identity);
        // externalRef is the owner's own reference (a case number in its system): nobody else needs it.
        return person.OwnerOrganisationId == organisationId ? view : view with { ExternalRef = null };
    }
}
