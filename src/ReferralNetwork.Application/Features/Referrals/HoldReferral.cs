using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>The receiver pauses the service (accepted or in-progress → on-hold); the reason (DESIGN §4) goes to the notes.</summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record HoldReferralCommand(Guid Id, string? IfMatch, string? Reason) : ICommand<ReferralView>;

public sealed class HoldReferralValidator : AbstractValidator<HoldReferralCommand>
{
    public HoldReferralValidator() => RuleFor(c => c.Reason).NotEmpty().IsText(2000);
}

public sealed class HoldReferralHandler(ReferralTransitions transitions) : ICommandHandler<HoldReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(HoldReferralCommand command, CancellationToken ct) =>
        await transitions.ApplyAsync(new TransitionRequest(command.Id, command.IfMatch, ReferralAction.Hold) { Note = command.Reason }, ct);
}
