using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// The child's guardian centre for social work (or the municipality's, brought in for a child without a guardian
/// organisation) confirms or disputes the consent the referrer recorded in the guardian's name (issue 13 item 6); by
/// confirming, the municipality's CSW meets its guardian appointment duty. A dispute is a timeline entry and a
/// <c>referral.guardian_disputed</c> webhook to the referrer. The note is stored sealed, like every note.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record ConfirmGuardianCommand(Guid Id, bool? Confirmed, string? Note) : ICommand<ReferralView>;

public sealed class ConfirmGuardianValidator : AbstractValidator<ConfirmGuardianCommand>
{
    public ConfirmGuardianValidator()
    {
        RuleFor(c => c.Confirmed).NotNull();
        RuleFor(c => c.Note).NotEmpty().When(c => c.Confirmed == false).WithMessage("Say why the guardian's consent is disputed.");
        RuleFor(c => c.Note).IsText(2000);
    }
}

public sealed class ConfirmGuardianHandler(ICurrentPrincipal current, Clock clock, ReferralRepository repository, ReferralReader reader, ReferralNotes notes)
    : ICommandHandler<ConfirmGuardianCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(ConfirmGuardianCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var loaded = await repository.LoadAsync(command.Id, ct);
        if (loaded?.Referral.PartyOf(principal.OrganisationId) is null) throw new NotFoundException("The referral");
        var now = clock.Now();
        var change = loaded.Referral.ConfirmGuardian(command.Confirmed!.Value, principal.AsActor(), now);
        var data = new Dictionary<string, object?>(change.EventData);
        if (!string.IsNullOrWhiteSpace(command.Note)) data["noteId"] = await notes.AddAsync(loaded.Referral.Id, loaded.Person, principal, command.Note, now, ct);
        await repository.SaveAsync(change with { EventData = data }, loaded.Head, ct);
        return await reader.ViewAsync(loaded, principal.OrganisationId, now, ct);
    }
}
