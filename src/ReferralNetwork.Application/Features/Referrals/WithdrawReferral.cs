using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// The referrer calls the referral off (any non-final status → cancelled) and is responsible again. The reason is
/// required and goes to the notes, where the receiver reads it.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record WithdrawReferralCommand(Guid Id, string? IfMatch, string? Reason) : ICommand<ReferralView>;

public sealed class WithdrawReferralValidator : AbstractValidator<WithdrawReferralCommand>
{
    public WithdrawReferralValidator() => RuleFor(c => c.Reason).NotEmpty().IsText(2000);
}

public sealed class WithdrawReferralHandler(ReferralTransitions transitions) : ICommandHandler<WithdrawReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(WithdrawReferralCommand command, CancellationToken ct) =>
        await transitions.ApplyAsync(new TransitionRequest(command.Id, command.IfMatch, ReferralAction.Withdraw) { Note = command.Reason }, ct);
}
