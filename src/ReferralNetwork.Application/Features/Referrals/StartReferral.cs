using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>The receiver begins the service (accepted → in-progress).</summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record StartReferralCommand(Guid Id, string? IfMatch) : ICommand<ReferralView>;

public sealed class StartReferralHandler(ReferralTransitions transitions) : ICommandHandler<StartReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(StartReferralCommand command, CancellationToken ct) =>
        await transitions.ApplyAsync(new TransitionRequest(command.Id, command.IfMatch, ReferralAction.Start), ct);
}
