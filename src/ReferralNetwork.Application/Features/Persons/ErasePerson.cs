using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Persons;

public sealed record ErasureView(Guid PersonId, DateTimeOffset ErasedAt);

/// <summary>
/// Crypto-shredding (DESIGN §2): the person's wrapped data key is deleted, so the identity and everything sealed with
/// that key — referral reasons, override justifications, notes, consent withdrawal reasons — can never be opened again,
/// in this database or in any backup once the master key that wrapped it is retired. The clear, non-identifying
/// attributes stay for statistics; referrals, consents and the audit chain are untouched (no audit event is rewritten).
/// The initials and the partner's externalRef go too: they link the record back to a name; so do stored idempotent answers
/// that concern the person, and the person's blind-index search terms (issue 17).
/// A person merged with others (issue 17) is erased with them: the survivor and every duplicate merged into it.
/// Allowed to the owning organisation's org_admin and to the network admin; anyone else is told the person does not exist.
/// </summary>
[AllowedRoles(Role.OrgAdmin, Role.NetworkAdmin)]
public sealed record ErasePersonCommand(Guid PersonId, string? Reason) : ICommand<ErasureView>;

public sealed class ErasePersonValidator : AbstractValidator<ErasePersonCommand>
{
    // The reason outlives the key, so it is kept in clear: it must say why (e.g. "request of the data subject, art. 17"),
    // never who.
    public ErasePersonValidator() => RuleFor(c => c.Reason).NotEmpty().IsText(500);
}

public sealed class ErasePersonHandler(IDbSession session, PersonStore persons, ICurrentPrincipal current, IAuditLog audit, Clock clock, PersonSearchIndex search,
    Attachments.AttachmentStore attachments)
    : ICommandHandler<ErasePersonCommand, ErasureView>
{
    public async ValueTask<ErasureView> Handle(ErasePersonCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var person = await persons.FindAsync(command.PersonId, ct);
        if (person is null || (!principal.Has(Role.NetworkAdmin) && person.OwnerOrganisationId != principal.OrganisationId))
            throw new NotFoundException("The person");
        if (person.ErasedAt is not null) throw new ConflictException($"The person was already erased at {person.ErasedAt:O}.");

        var now = clock.Now();
        // One human, one erasure (issue 17): the records merged into the survivor go with it, whichever of them was named.
        var survivor = person.MergedIntoId is { } into ? await persons.FindAsync(into, ct) ?? person : person;
        var connection = await session.ConnectionAsync(ct);
        var duplicates = await connection.QueryAsync<PersonRow>(new CommandDefinition(
            $"SELECT {PersonRow.Columns} FROM persons p WHERE p.merged_into_id = @Id AND p.erased_at IS NULL", new { survivor.Id }, session.Transaction, cancellationToken: ct));
        foreach (var record in new[] { survivor }.Concat(duplicates).Where(p => p.ErasedAt is null))
            await EraseAsync(connection, record, now, command.Reason, ct);
        return new ErasureView(person.Id, now);
    }

    private async Task EraseAsync(System.Data.Common.DbConnection connection, PersonRow person, DateTimeOffset now, string? reason, CancellationToken ct)
    {
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE persons SET wrapped_key = NULL, identity_sealed = NULL, initials = NULL, external_ref = NULL, erased_at = @Now, erasure_reason = @Reason
            WHERE id = @Id AND erased_at IS NULL
            """, new { person.Id, Now = now, Reason = reason }, session.Transaction, cancellationToken: ct));
        if (changed == 0) throw new ConflictException("The person was erased concurrently.");
        // The blind-index terms are keyed hashes, yet they would still find the person by name: they go too.
        await search.DeleteAsync(person.Id, ct);
        // Documents were sealed under the same key; their chunks go and their names with them (issue 17).
        await attachments.EraseForPersonAsync(person.Id, now, ct);
        // Stored idempotent answers about the person (a referral's reason, the initials) go in the same transaction. The
        // keys stay used, so a retry with one is told the answer is gone (410) instead of running the request again.
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE idempotency_keys SET state = @Erased, response_body = NULL, master_key_id = NULL
            WHERE person_id = @Id AND state = @Done
            """, new { person.Id, Erased = IdempotencyStates.Erased, Done = IdempotencyStates.Done }, session.Transaction, cancellationToken: ct));
        audit.Record(new AuditEntry(AuditStreams.Person(person.Id), "person.erased", new Dictionary<string, object?>
        {
            ["personId"] = person.Id, ["ownerOrganisationId"] = person.OwnerOrganisationId, ["masterKeyId"] = person.MasterKeyId,
        }));
    }
}
