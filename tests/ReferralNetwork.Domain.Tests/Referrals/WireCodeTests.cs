using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Domain.Tests.Referrals;

/// <summary>Partners code against these strings (DESIGN §4, §7): renaming a member must not change them silently.</summary>
public sealed class WireCodeTests
{
    [Fact]
    public void Actions_are_named_like_their_endpoints()
    {
        Assert.Equal(
            ["acknowledge", "accept", "decline", "redirect", "start", "hold", "resume", "complete", "withdraw"],
            Enum.GetValues<ReferralAction>().Select(a => a.Code()));
    }

    [Fact]
    public void Decline_reasons_are_the_designed_codes()
    {
        Assert.Equal(
            ["no_capacity", "not_eligible", "service_not_offered", "client_unreachable", "duplicate", "other"],
            Enum.GetValues<DeclineReason>().Select(r => r.Code()));
    }

    [Fact]
    public void Completion_outcomes_are_the_designed_codes()
    {
        Assert.Equal(
            ["service_provided", "partially_provided", "client_declined", "lost_contact", "client_moved", "not_eligible"],
            Enum.GetValues<CompletionOutcome>().Select(o => o.Code()));
    }

    [Fact]
    public void Parties_and_change_kinds_are_lower_case_words()
    {
        Assert.Equal(["referrer", "receiver", "observer"], Enum.GetValues<Party>().Select(p => p.Code()));
        Assert.Equal(["opened", "closed"], Enum.GetValues<ChangeKind>().Select(k => k.Code()));
    }

    [Fact]
    public void A_domain_rule_needs_a_rule_code()
    {
        Assert.Throws<ArgumentException>(() => new DomainRuleException(" ", "message"));
    }

    [Fact]
    public void Refusals_tell_people_what_they_may_do_instead()
    {
        var illegal = Assert.Throws<IllegalTransitionException>(
            () => ReferralStateMachine.Apply(ReferralStatus.Accepted, ReferralAction.Accept, Party.Receiver));
        Assert.Equal("A referral that is accepted cannot be given 'accept'; the receiver may: start, hold, complete.", illegal.Message);

        var wrong = Assert.Throws<WrongPartyException>(
            () => ReferralStateMachine.Apply(ReferralStatus.Requested, ReferralAction.Accept, Party.Observer));
        Assert.Equal("Only the receiver may 'accept' a referral that is requested; the observer may take no action now.", wrong.Message);
    }
}
