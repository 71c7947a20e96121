using System.Text.Json;
using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Persons;

public sealed record PersonView(PersonSummary Summary, PersonIdentity? Identity, string? ExternalRef, Guid OwnerOrganisationId);

/// <summary>
/// Reading an identity is a command, not a query: it appends a <c>person.identity_read</c> audit event (who, which
/// organisation, through which referral) in the same transaction, so no read goes unrecorded.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record GetPersonCommand(Guid Id, Guid? ReferralId = null) : ICommand<PersonView>;

public sealed class GetPersonHandler(IDbSession session, PersonStore persons, IPersonalDataProtector protector, ICurrentPrincipal current, IAuditLog audit)
    : ICommandHandler<GetPersonCommand, PersonView>
{
    public async ValueTask<PersonView> Handle(GetPersonCommand command, CancellationToken ct)
    {
        var organisationId = current.Principal!.OrganisationId;
        var person = await persons.FindAsync(command.Id, ct) ?? throw new NotFoundException("The person");
        var via = await InvolvementAsync(person, organisationId, command.ReferralId, ct);
        if (person.OwnerOrganisationId != organisationId && via is null) throw new NotFoundException("The person");

        PersonIdentity? identity = null;
        var key = persons.DataKeyOf(person);
        if (key is not null)
        {
            var connection = await session.ConnectionAsync(ct);
            var sealedIdentity = await connection.ExecuteScalarAsync<byte[]>(new CommandDefinition(
                "SELECT identity_sealed FROM persons WHERE id = @Id", new { person.Id }, session.Transaction, cancellationToken: ct));
            identity = JsonSerializer.Deserialize<PersonIdentity>(protector.Open(key, sealedIdentity!, $"person:{person.Id}:identity"));
        }
        audit.Record(new AuditEntry(AuditStreams.Person(person.Id), "person.identity_read", new Dictionary<string, object?>
        {
            ["personId"] = person.Id, ["organisationId"] = organisationId, ["viaReferralId"] = via, ["erased"] = key is null,
        }));
        return new PersonView(person.ToSummary(), identity, person.ExternalRef, person.OwnerOrganisationId);
    }

    /// <summary>A referral of the person that the organisation is party to or observes (the one named, if any).</summary>
    private async Task<Guid?> InvolvementAsync(PersonRow person, Guid organisationId, Guid? referralId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return await connection.QueryFirstOrDefaultAsync<Guid?>(new CommandDefinition($"""
            SELECT r.id FROM referrals r
            WHERE r.person_id = @PersonId {(referralId is null ? "" : "AND r.id = @ReferralId")} AND {Referrals.ReferralRow.VisibleTo}
            ORDER BY r.created_at DESC
            {session.Dialect.Limit("1")}
            """, new { PersonId = person.Id, ReferralId = referralId, Org = organisationId }, session.Transaction, cancellationToken: ct));
    }
}
