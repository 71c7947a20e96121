using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>The receiver confirms it has the referral (requested → received): proof of receipt that stops the acknowledge deadline.</summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record AcknowledgeReferralCommand(Guid Id, string? IfMatch) : ICommand<ReferralView>;

public sealed class AcknowledgeReferralHandler(ReferralTransitions transitions) : ICommandHandler<AcknowledgeReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(AcknowledgeReferralCommand command, CancellationToken ct) =>
        await transitions.ApplyAsync(new TransitionRequest(command.Id, command.IfMatch, ReferralAction.Acknowledge), ct);
}
