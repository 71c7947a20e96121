using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>The receiver resumes a referral it put on hold (on-hold → in-progress).</summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record ResumeReferralCommand(Guid Id, string? IfMatch) : ICommand<ReferralView>;

public sealed class ResumeReferralHandler(ReferralTransitions transitions) : ICommandHandler<ResumeReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(ResumeReferralCommand command, CancellationToken ct) =>
        await transitions.ApplyAsync(new TransitionRequest(command.Id, command.IfMatch, ReferralAction.Resume), ct);
}
