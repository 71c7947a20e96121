using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Protocols;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// The receiver records a step of the pinned protocol as done (issue 23), with an optional note for the referrer: a
/// timeline entry, an audit event and <c>referral.step_done</c>; a step duty it held is met. If-Match like the actions.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record RecordReferralStepCommand(Guid Id, string? IfMatch, string Code, string? Note) : ICommand<ReferralView>;

public sealed class RecordReferralStepValidator : AbstractValidator<RecordReferralStepCommand>
{
    public RecordReferralStepValidator()
    {
        RuleFor(c => c.Code).NotEmpty().MaximumLength(50);
        RuleFor(c => c.Note).IsText(2000);
    }
}

public sealed class RecordReferralStepHandler(
    ReferralRepository repository, ReferralReader reader, ProtocolStore protocols, ReferralNotes notes, ICurrentPrincipal current, Clock clock)
    : ICommandHandler<RecordReferralStepCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(RecordReferralStepCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var loaded = await repository.LoadAsync(command.Id, ct);
        var referral = loaded?.Referral;
        var party = referral?.PartyOf(principal.OrganisationId) ?? throw new NotFoundException("The referral");
        ReferralETag.Require(command.IfMatch, referral.State.Version);
        var protocol = await protocols.VersionAsync(referral.State.ProtocolCode, referral.State.ProtocolVersion, ct)
            ?? throw new InvalidOperationException($"Referral {referral.Id} pins a protocol version that does not exist.");
        var now = clock.Now();
        var noteId = string.IsNullOrWhiteSpace(command.Note) ? (Guid?)null : Guid.CreateVersion7();
        // The domain decides before the note is stored: a refused step leaves nothing behind.
        var change = referral.RecordStep(command.Code, protocol.Document.StepsFor(referral.State.Services), party,
            principal.AsActor(), noteId, now);
        if (noteId is not null) await notes.AddAsync(referral.Id, loaded!.Person, principal, command.Note!, now, ct, noteId);
        await repository.SaveAsync(change, loaded!.Head, ct);
        return await reader.ViewAsync(loaded, principal.OrganisationId, now, ct);
    }
}

/// <summary>Body of <c>POST /referrals/{id}/steps/{code}</c>.</summary>
public sealed record RecordReferralStepBody(string? Note);
