using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>A merge as it stands: <see cref="MergedInto"/> is null once undone.</summary>
public sealed record PersonMergeView(Guid PersonId, Guid? MergedInto, DateTimeOffset? MergedAt, DateTimeOffset? UndoableUntil, DateTimeOffset? UndoneAt);

/// <summary>
/// <c>POST /persons/{id}/merge {"duplicateOf"}</c> (issue 17): a supervisor says the person <c>id</c> is a duplicate of
/// <c>duplicateOf</c>, both records of their organisation. Nothing is copied or re-sealed: the duplicate keeps its row and
/// its data key, and names the survivor (<c>merged_into_id</c>); the duplicate's referrals, consents and access log are
/// read with the survivor's from then on (<see cref="PersonRow.OfPerson"/>), searches and matches answer the survivor,
/// and a submit naming the duplicate refers the survivor. An admin can undo it for <see cref="PersonMerges.UndoWindow"/>.
/// The fact is <c>person.merged</c> on the duplicate's stream; verify holds the column to it.
/// </summary>
[AllowedRoles(Role.Supervisor)]
public sealed record MergePersonCommand(Guid PersonId, Guid? DuplicateOf, string? Reason) : ICommand<PersonMergeView>;

public sealed class MergePersonValidator : AbstractValidator<MergePersonCommand>
{
    public MergePersonValidator()
    {
        RuleFor(c => c.DuplicateOf).NotEmpty();
        RuleFor(c => c.DuplicateOf).Must((c, survivor) => survivor != c.PersonId).WithMessage("A person cannot be a duplicate of themselves.");
        // Kept in clear in the chain: it says why (e.g. "same document number"), never who.
        RuleFor(c => c.Reason).IsText(500);
    }
}

public sealed class MergePersonHandler(IDbSession session, PersonStore persons, ICurrentPrincipal current, IAuditLog audit, Clock clock)
    : ICommandHandler<MergePersonCommand, PersonMergeView>
{
    public async ValueTask<PersonMergeView> Handle(MergePersonCommand command, CancellationToken ct)
    {
        var organisationId = current.Principal!.OrganisationId;
        var duplicate = await PersonMerges.OwnedAsync(persons, command.PersonId, organisationId, ct);
        var survivor = await PersonMerges.OwnedAsync(persons, command.DuplicateOf!.Value, organisationId, ct);
        if (duplicate.ErasedAt is not null || survivor.ErasedAt is not null)
            throw new RuleViolationException("person.erased", "An erased person cannot be merged.");
        if (duplicate.MergedIntoId is { } already)
            throw new ConflictException($"The person is already merged into {already}.");
        if (survivor.MergedIntoId is { } further)
            throw new RuleViolationException("merge.survivor_merged", $"duplicateOf is itself merged into {further}: merge into that person instead.");

        var connection = await session.ConnectionAsync(ct);
        // A record others were merged into is a survivor: it cannot become a duplicate without its duplicates following it,
        // and an undo would then have two meanings. Undo those merges first.
        var mergedIntoDuplicate = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM persons WHERE merged_into_id = @Id", new { duplicate.Id }, session.Transaction, cancellationToken: ct));
        if (mergedIntoDuplicate > 0)
            throw new RuleViolationException("merge.duplicate_has_duplicates",
                "Other persons are merged into this one: merge the survivor the other way round, or undo those merges first.");

        var now = clock.Now();
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE persons SET merged_into_id = @Survivor, merged_at = @Now WHERE id = @Id AND merged_into_id IS NULL AND erased_at IS NULL
            """, new { duplicate.Id, Survivor = survivor.Id, Now = now }, session.Transaction, cancellationToken: ct));
        if (changed == 0) throw new ConflictException("The person was merged or erased concurrently.");
        audit.Record(new AuditEntry(AuditStreams.Person(duplicate.Id), PersonMerges.Merged, new Dictionary<string, object?>
        {
            ["personId"] = duplicate.Id, ["mergedInto"] = survivor.Id, ["ownerOrganisationId"] = organisationId, ["reason"] = command.Reason,
        }));
        return new PersonMergeView(duplicate.Id, survivor.Id, now, now + PersonMerges.UndoWindow, null);
    }
}

/// <summary>
/// <c>POST /persons/{id}/merge/undo</c>: the owning organisation's admin (or the network admin) separates a duplicate
/// again, within <see cref="PersonMerges.UndoWindow"/> of the merge. Exact, because the merge moved nothing: referrals,
/// consents and reads made under the duplicate's record are its own again. Referrals submitted meanwhile through the
/// duplicate's id belong to the survivor they were submitted for. The fact is <c>person.merge_undone</c>.
/// </summary>
[AllowedRoles(Role.OrgAdmin, Role.NetworkAdmin)]
public sealed record UndoPersonMergeCommand(Guid PersonId, string? Reason) : ICommand<PersonMergeView>;

public sealed class UndoPersonMergeValidator : AbstractValidator<UndoPersonMergeCommand>
{
    public UndoPersonMergeValidator() => RuleFor(c => c.Reason).NotEmpty().IsText(500);
}

public sealed class UndoPersonMergeHandler(IDbSession session, PersonStore persons, ICurrentPrincipal current, IAuditLog audit, Clock clock)
    : ICommandHandler<UndoPersonMergeCommand, PersonMergeView>
{
    public async ValueTask<PersonMergeView> Handle(UndoPersonMergeCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var person = await persons.FindAsync(command.PersonId, ct);
        if (person is null || (!principal.Has(Role.NetworkAdmin) && person.OwnerOrganisationId != principal.OrganisationId))
            throw new NotFoundException("The person");
        if (person.MergedIntoId is not { } survivor || person.MergedAt is not { } mergedAt)
            throw new ConflictException("The person is not merged into anyone.");
        if (person.ErasedAt is not null) throw new RuleViolationException("person.erased", "The person was erased: the merge can no longer be undone.");
        var now = clock.Now();
        if (now > mergedAt + PersonMerges.UndoWindow)
            throw new RuleViolationException("merge.undo_expired", $"A merge can be undone for 30 days; this one was made at {mergedAt:O}.");

        var connection = await session.ConnectionAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE persons SET merged_into_id = NULL, merged_at = NULL WHERE id = @Id AND merged_into_id = @Survivor
            """, new { person.Id, Survivor = survivor }, session.Transaction, cancellationToken: ct));
        if (changed == 0) throw new ConflictException("The merge was undone concurrently.");
        audit.Record(new AuditEntry(AuditStreams.Person(person.Id), PersonMerges.Undone, new Dictionary<string, object?>
        {
            ["personId"] = person.Id, ["mergedInto"] = survivor, ["ownerOrganisationId"] = person.OwnerOrganisationId, ["reason"] = command.Reason,
        }));
        return new PersonMergeView(person.Id, null, mergedAt, mergedAt + PersonMerges.UndoWindow, now);
    }
}

public static class PersonMerges
{
    public const string Merged = "person.merged";
    public const string Undone = "person.merge_undone";

    /// <summary>How long an admin can still separate two merged records (issue 17).</summary>
    public static readonly TimeSpan UndoWindow = TimeSpan.FromDays(30);

    /// <summary>The person, when the caller's organisation owns the record; anyone else is told it does not exist.</summary>
    public static async Task<PersonRow> OwnedAsync(PersonStore persons, Guid id, Guid organisationId, CancellationToken ct)
    {
        var person = await persons.FindAsync(id, ct);
        return person is not null && person.OwnerOrganisationId == organisationId ? person : throw new NotFoundException("The person");
    }
}
