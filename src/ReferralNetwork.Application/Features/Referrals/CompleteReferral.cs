using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// The receiver closes the loop (accepted, in-progress or on-hold → completed or failed, as the outcome decides). The
/// referrer reads the outcome on the referral and the note among its notes.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record CompleteReferralCommand(Guid Id, string? IfMatch, string? Outcome, string? Note) : ICommand<ReferralView>;

public sealed class CompleteReferralValidator : AbstractValidator<CompleteReferralCommand>
{
    public CompleteReferralValidator()
    {
        RuleFor(c => c.Outcome).NotEmpty().IsCode<CompleteReferralCommand, CompletionOutcome>();
        RuleFor(c => c.Note).IsText(2000);
    }
}

public sealed class CompleteReferralHandler(ReferralTransitions transitions) : ICommandHandler<CompleteReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(CompleteReferralCommand command, CancellationToken ct) =>
        await transitions.ApplyAsync(new TransitionRequest(command.Id, command.IfMatch, ReferralAction.Complete)
        {
            Outcome = Wire.Parse<CompletionOutcome>(command.Outcome!), Note = command.Note,
        }, ct);
}
