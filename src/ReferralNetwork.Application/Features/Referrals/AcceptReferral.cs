using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>The receiver takes the referral on (requested or received → accepted) and from now answers for it; the follow-up deadline starts.</summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record AcceptReferralCommand(Guid Id, string? IfMatch) : ICommand<ReferralView>;

public sealed class AcceptReferralHandler(ReferralTransitions transitions) : ICommandHandler<AcceptReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(AcceptReferralCommand command, CancellationToken ct) =>
        await transitions.ApplyAsync(new TransitionRequest(command.Id, command.IfMatch, ReferralAction.Accept), ct);
}
