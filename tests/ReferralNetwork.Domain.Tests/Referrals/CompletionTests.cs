using ReferralNetwork.Domain.Referrals;
using static ReferralNetwork.Domain.Referrals.ReferralStatus;

namespace ReferralNetwork.Domain.Tests.Referrals;

public sealed class CompletionTests
{
    private static readonly (CompletionOutcome Outcome, ReferralStatus Status)[] Outcomes =
    [
        (CompletionOutcome.ServiceProvided, Completed),
        (CompletionOutcome.PartiallyProvided, Completed),
        (CompletionOutcome.ClientDeclined, Failed),
        (CompletionOutcome.LostContact, Failed),
        (CompletionOutcome.ClientMoved, Failed),
        (CompletionOutcome.NotEligible, Failed),
    ];

    public static TheoryData<ReferralStatus, CompletionOutcome, ReferralStatus> EveryActiveStatusAndOutcome() =>
        TheoryRows.Of(new[] { Accepted, InProgress, OnHold }.SelectMany(from => Outcomes.Select(o => (from, o.Outcome, o.Status))));

    [Theory]
    [InlineData(CompletionOutcome.ServiceProvided, Completed)]
    [InlineData(CompletionOutcome.PartiallyProvided, Completed)]
    [InlineData(CompletionOutcome.ClientDeclined, Failed)]
    [InlineData(CompletionOutcome.LostContact, Failed)]
    [InlineData(CompletionOutcome.ClientMoved, Failed)]
    [InlineData(CompletionOutcome.NotEligible, Failed)]
    public void A_service_provided_even_partly_completes_the_referral_anything_else_fails_it(CompletionOutcome outcome, ReferralStatus status)
    {
        Assert.Equal(status, CompletionOutcomes.ResultingStatus(outcome));
    }

    [Fact]
    public void An_unknown_outcome_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CompletionOutcomes.ResultingStatus((CompletionOutcome)99));
    }

    [Theory]
    [MemberData(nameof(EveryActiveStatusAndOutcome))]
    public void Complete_ends_in_the_status_its_outcome_decides(ReferralStatus from, CompletionOutcome outcome, ReferralStatus expected)
    {
        Assert.Equal(expected, ReferralStateMachine.Apply(from, ReferralAction.Complete, Party.Receiver, outcome));
    }

    [Theory]
    [InlineData(Accepted)]
    [InlineData(InProgress)]
    [InlineData(OnHold)]
    public void Complete_without_an_outcome_breaks_the_outcome_required_rule(ReferralStatus from)
    {
        var error = Assert.Throws<DomainRuleException>(() => ReferralStateMachine.Apply(from, ReferralAction.Complete, Party.Receiver));
        Assert.Equal("outcome_required", error.Rule);
        Assert.IsAssignableFrom<DomainException>(error);
    }

    [Theory]
    [InlineData(Requested, ReferralAction.Accept, Party.Receiver)]
    [InlineData(Accepted, ReferralAction.Start, Party.Receiver)]
    [InlineData(OnHold, ReferralAction.Withdraw, Party.Referrer)]
    public void An_outcome_with_any_action_but_complete_breaks_the_outcome_not_applicable_rule(ReferralStatus from, ReferralAction action, Party party)
    {
        var error = Assert.Throws<DomainRuleException>(() => ReferralStateMachine.Apply(from, action, party, CompletionOutcome.ServiceProvided));
        Assert.Equal("outcome_not_applicable", error.Rule);
    }

    [Fact]
    public void A_wrong_party_completing_without_an_outcome_hears_about_the_party_first()
    {
        var error = Assert.Throws<WrongPartyException>(() => ReferralStateMachine.Apply(InProgress, ReferralAction.Complete, Party.Referrer));
        Assert.Equal([ReferralAction.Withdraw], error.Allowed);
        Assert.Equal(Party.Receiver, error.Actor);
    }

    [Fact]
    public void Completing_a_referral_not_yet_accepted_is_illegal_whether_or_not_an_outcome_is_given()
    {
        Assert.Throws<IllegalTransitionException>(() => ReferralStateMachine.Apply(Received, ReferralAction.Complete, Party.Receiver));
        Assert.Throws<IllegalTransitionException>(
            () => ReferralStateMachine.Apply(Received, ReferralAction.Complete, Party.Receiver, CompletionOutcome.ServiceProvided));
    }
}
