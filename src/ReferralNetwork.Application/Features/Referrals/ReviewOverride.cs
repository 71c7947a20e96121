using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Deadlines;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// A supervisor of the referring organisation — never the principal who submitted the override (four eyes) — reviews
/// an emergency override of consent (DESIGN §2): the referral went out without the consent its protocol requires, so
/// someone senior must confirm it within the protocol's <c>reviewWithin</c> (the referral's <c>reviewBy</c>, a duty of
/// the referring organisation that stays open — and is breached — even after the referral is completed). A late review is still accepted and says how late it is.
/// A rejected override withdraws the referral (status <c>cancelled</c>, responsibility trail closed with basis
/// <c>override_rejected</c>): the network must not go on acting on a referral nobody may justify — unless it has
/// already reached a final state, which is history and stays as it is.
/// </summary>
[AllowedRoles(Role.Supervisor)]
public sealed record ReviewOverrideCommand(Guid ReferralId, bool? Approved, string? Note) : ICommand<OverrideReviewView>;

public sealed record OverrideReviewView(Guid ReferralId, string OverrideStatus, DateTimeOffset ReviewedAt, DateTimeOffset? ReviewBy, long? LateBySeconds,
    string Status, int Version);

public sealed class ReviewOverrideValidator : AbstractValidator<ReviewOverrideCommand>
{
    public ReviewOverrideValidator()
    {
        RuleFor(c => c.Approved).NotNull();
        // Rejecting stops help for a person at risk: the reason must be on record.
        RuleFor(c => c.Note).NotEmpty().When(c => c.Approved == false).WithMessage("Say why the override is rejected.");
        RuleFor(c => c.Note).IsText(2000);
    }
}

public sealed class ReviewOverrideHandler(
    ICurrentPrincipal current, Clock clock, ReferralRepository repository, PersonStore persons, IPersonalDataProtector protector)
    : ICommandHandler<ReviewOverrideCommand, OverrideReviewView>
{
    public async ValueTask<OverrideReviewView> Handle(ReviewOverrideCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var now = clock.Now();
        var loaded = await repository.LoadAsync(command.ReferralId, ct);
        var referral = loaded?.Referral;
        var party = referral?.PartyOf(principal.OrganisationId) ?? throw new NotFoundException("The referral");
        var reviewBy = referral.DutyOf(DeadlineKind.Review)?.DueAt;
        var change = referral.ReviewOverride(command.Approved!.Value, party, principal.AsActor(), now);
        // The note is free text about a person: sealed under the person's data key, never in the audit trail.
        var key = string.IsNullOrWhiteSpace(command.Note) ? null : persons.DataKeyOf(loaded!.Person);
        var note = key is null ? null : protector.Seal(key, command.Note!, $"referral:{referral.Id}:override_review");
        await repository.SaveAsync(change, loaded!.Head, ct, new ReferralRepository.Sealed(OverrideReviewNote: note));
        var state = referral.State;
        return new OverrideReviewView(state.Id, state.Override!.Status.Code(), now, reviewBy, change.Timeline?.LateBySeconds, state.Status.Code(), state.Version);
    }
}
