using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// The receiver says no (requested or received → rejected); responsibility stays with, or returns to, the referrer.
/// The reason is a code statistics can count; the note, required for <c>other</c>, goes to the referral's notes.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record DeclineReferralCommand(Guid Id, string? IfMatch, string? ReasonCode, string? Note) : ICommand<ReferralView>;

public sealed class DeclineReferralValidator : AbstractValidator<DeclineReferralCommand>
{
    public DeclineReferralValidator()
    {
        RuleFor(c => c.ReasonCode).NotEmpty().IsCode<DeclineReferralCommand, DeclineReason>();
        RuleFor(c => c.Note).IsText(2000);
        RuleFor(c => c.Note).NotEmpty().When(c => c.ReasonCode == DeclineReason.Other.Code())
            .WithMessage("Say why in a note when the reason is 'other'.");
    }
}

public sealed class DeclineReferralHandler(ReferralTransitions transitions) : ICommandHandler<DeclineReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(DeclineReferralCommand command, CancellationToken ct) =>
        await transitions.ApplyAsync(new TransitionRequest(command.Id, command.IfMatch, ReferralAction.Decline)
        {
            DeclineReason = Wire.Parse<DeclineReason>(command.ReasonCode!), Note = command.Note,
        }, ct);
}
