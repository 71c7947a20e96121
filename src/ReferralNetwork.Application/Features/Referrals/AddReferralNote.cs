using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// A note between referrer and receiver, in any status (a completed referral may still need a word). The text is
/// sealed with the person's data key; the audit event and the webhook event name the note, never its text.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record AddReferralNoteCommand(Guid Id, string? Text) : ICommand<NoteView>;

public sealed class AddReferralNoteValidator : AbstractValidator<AddReferralNoteCommand>
{
    public AddReferralNoteValidator() => RuleFor(c => c.Text).NotEmpty().IsText(4000);
}

public sealed class AddReferralNoteHandler(
    IDbSession session, ReferralReader reader, PersonStore persons, ReferralNotes notes, ICurrentPrincipal current, Clock clock, IAuditLog audit)
    : ICommandHandler<AddReferralNoteCommand, NoteView>
{
    public async ValueTask<NoteView> Handle(AddReferralNoteCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var row = await reader.FindVisibleAsync(command.Id, principal.OrganisationId, ct) ?? throw new NotFoundException("The referral");
        ReferralNotes.EnsureMayRead(row.PartyOf(principal.OrganisationId));
        var person = await persons.FindAsync(row.PersonId, ct) ?? throw new InvalidOperationException($"Referral {row.Id} has no person.");
        if (person.ErasedAt is not null || persons.DataKeyOf(person) is null)
            throw new RuleViolationException("person.erased", "The person's data was erased; a note about them can no longer be stored.");

        var now = clock.Now();
        var id = await notes.AddAsync(row.Id, person, principal, command.Text!, now, ct);
        await ReferralOutbox.WriteAsync(session, "referral.note_added", row.Id, Domain.Wire.Parse<ReferralStatus>(row.Status), now, ct, partiesOnly: true);
        audit.Record(new AuditEntry(AuditStreams.Referral(row.Id), "referral.note_added", new Dictionary<string, object?>
        {
            ["referralId"] = row.Id, ["noteId"] = id, ["organisationId"] = principal.OrganisationId,
        }));
        return new NoteView(id, row.Id, principal.OrganisationId, now, command.Text, false);
    }
}
