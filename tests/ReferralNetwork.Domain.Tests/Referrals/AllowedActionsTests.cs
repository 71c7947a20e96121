using ReferralNetwork.Domain.Referrals;
using static ReferralNetwork.Domain.Referrals.ReferralAction;

namespace ReferralNetwork.Domain.Tests.Referrals;

public sealed class AllowedActionsTests
{
    public static TheoryData<ReferralStatus, Party> EveryStatusAndParty() =>
        TheoryRows.Of(ExpectedLifecycle.Statuses.SelectMany(s => ExpectedLifecycle.Parties.Select(p => (s, p))));

    public static TheoryData<ReferralStatus> EveryStatus() => [.. ExpectedLifecycle.Statuses];

    [Theory]
    [MemberData(nameof(EveryStatusAndParty))]
    public void Allowed_actions_are_the_partys_cells_of_the_lifecycle_in_enum_order(ReferralStatus status, Party party)
    {
        Assert.Equal(ExpectedLifecycle.AllowedFor(status, party), ReferralStateMachine.AllowedActions(status, party));
    }

    [Theory]
    [MemberData(nameof(EveryStatusAndParty))]
    public void Every_allowed_action_can_be_applied_by_that_party(ReferralStatus status, Party party)
    {
        foreach (var action in ReferralStateMachine.AllowedActions(status, party))
        {
            CompletionOutcome? outcome = action == Complete ? CompletionOutcome.LostContact : null;
            var exception = Record.Exception(() => ReferralStateMachine.Apply(status, action, party, outcome));
            Assert.Null(exception);
        }
    }

    [Fact]
    public void Receiver_of_a_requested_referral_may_acknowledge_accept_decline_or_redirect()
    {
        Assert.Equal([Acknowledge, Accept, Decline, Redirect], ReferralStateMachine.AllowedActions(ReferralStatus.Requested, Party.Receiver));
    }

    [Fact]
    public void Receiver_of_an_accepted_referral_may_start_hold_or_complete()
    {
        Assert.Equal([Start, Hold, Complete], ReferralStateMachine.AllowedActions(ReferralStatus.Accepted, Party.Receiver));
    }

    [Theory]
    [MemberData(nameof(EveryStatus))]
    public void Referrer_may_only_withdraw_and_only_until_the_referral_is_final(ReferralStatus status)
    {
        IReadOnlyList<ReferralAction> expected = ReferralStateMachine.IsFinal(status) ? [] : [Withdraw];
        Assert.Equal(expected, ReferralStateMachine.AllowedActions(status, Party.Referrer));
    }

    [Theory]
    [MemberData(nameof(EveryStatus))]
    public void Observer_may_never_act(ReferralStatus status)
    {
        Assert.Empty(ReferralStateMachine.AllowedActions(status, Party.Observer));
    }

    [Theory]
    [InlineData(ReferralStatus.Requested, false)]
    [InlineData(ReferralStatus.Received, false)]
    [InlineData(ReferralStatus.Accepted, false)]
    [InlineData(ReferralStatus.InProgress, false)]
    [InlineData(ReferralStatus.OnHold, false)]
    [InlineData(ReferralStatus.Completed, true)]
    [InlineData(ReferralStatus.Failed, true)]
    [InlineData(ReferralStatus.Rejected, true)]
    [InlineData(ReferralStatus.Cancelled, true)]
    [InlineData(ReferralStatus.Redirected, true)]
    public void Completed_failed_rejected_cancelled_and_redirected_are_final(ReferralStatus status, bool final)
    {
        Assert.Equal(final, ReferralStateMachine.IsFinal(status));
    }

    [Theory]
    [MemberData(nameof(EveryStatus))]
    public void A_status_is_final_exactly_when_no_party_may_act(ReferralStatus status)
    {
        var anyone = ExpectedLifecycle.Parties.SelectMany(p => ReferralStateMachine.AllowedActions(status, p));
        Assert.Equal(ReferralStateMachine.IsFinal(status), !anyone.Any());
    }

    [Fact]
    public void Allowed_actions_cannot_be_changed_by_a_caller()
    {
        var allowed = (IList<ReferralAction>)ReferralStateMachine.AllowedActions(ReferralStatus.Requested, Party.Receiver);
        Assert.Throws<NotSupportedException>(() => allowed[0] = Withdraw);
        Assert.Equal(Acknowledge, ReferralStateMachine.AllowedActions(ReferralStatus.Requested, Party.Receiver)[0]);
    }

    [Fact]
    public void An_unknown_status_allows_nothing()
    {
        Assert.Empty(ReferralStateMachine.AllowedActions((ReferralStatus)99, Party.Receiver));
    }
}
