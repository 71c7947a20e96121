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

public sealed class AddReferralNoteHandler(ReferralRepository repository, PersonStore persons, ReferralNotes notes, ICurrentPrincipal current, Clock clock)
    : ICommandHandler<AddReferralNoteCommand, NoteView>
{
    public async ValueTask<NoteView> Handle(AddReferralNoteCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var loaded = await repository.LoadAsync(command.Id, ct);
        var party = loaded?.Referral.PartyOf(principal.OrganisationId) ?? throw new NotFoundException("The referral");
        ReferralNotes.EnsureMayRead(party);
        if (loaded!.Person.ErasedAt is not null || persons.DataKeyOf(loaded.Person) is null)
            throw new RuleViolationException("person.erased", "The person's data was erased; a note about them can no longer be stored.");

        var now = clock.Now();
        var id = await notes.AddAsync(loaded.Referral.Id, loaded.Person, principal, command.Text!, now, ct);
        await repository.SaveAsync(loaded.Referral.AddNote(party, principal.AsActor(), id, now), loaded.Head, ct);
        return new NoteView(id, loaded.Referral.Id, principal.OrganisationId, now, command.Text, false);
    }
}
