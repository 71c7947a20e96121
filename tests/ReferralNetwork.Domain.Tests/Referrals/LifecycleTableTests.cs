using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Domain.Tests.Referrals;

public sealed class LifecycleTableTests
{
    private const string Illegal = "409 illegal";
    private const string WrongParty = "403 wrong party";

    /// <summary>Every status × action × party, each with the one outcome the design allows.</summary>
    public static TheoryData<ReferralStatus, ReferralAction, Party, string> EveryTriple()
    {
        var data = new TheoryData<ReferralStatus, ReferralAction, Party, string>();
        foreach (var from in ExpectedLifecycle.Statuses)
        {
            foreach (var action in ExpectedLifecycle.Actions)
            {
                foreach (var party in ExpectedLifecycle.Parties)
                {
                    var expected = !ExpectedLifecycle.Cells.TryGetValue((from, action), out var cell) ? Illegal
                        : cell.Actor == party ? cell.To.Code()
                        : WrongParty;
                    data.Add(from, action, party, expected);
                }
            }
        }
        return data;
    }

    [Fact]
    public void The_expectation_covers_all_ten_statuses_nine_actions_and_three_parties()
    {
        Assert.Equal(10 * 9 * 3, EveryTriple().Count);
    }

    [Theory]
    [MemberData(nameof(EveryTriple))]
    public void Apply_gives_the_designed_outcome_for_every_status_action_and_party(
        ReferralStatus from, ReferralAction action, Party party, string expected)
    {
        CompletionOutcome? outcome = action == ReferralAction.Complete ? CompletionOutcome.ServiceProvided : null;
        var apply = () => ReferralStateMachine.Apply(from, action, party, outcome);
        var allowed = ExpectedLifecycle.AllowedFor(from, party);

        switch (expected)
        {
            case Illegal:
                var illegal = Assert.Throws<IllegalTransitionException>(() => apply());
                AssertRefusal(illegal, from, action, party, allowed);
                break;
            case WrongParty:
                var wrong = Assert.Throws<WrongPartyException>(() => apply());
                AssertRefusal(wrong, from, action, party, allowed);
                Assert.Equal(ExpectedLifecycle.Cells[(from, action)].Actor, wrong.Actor);
                break;
            default:
                Assert.Equal(expected, apply().Code());
                break;
        }
    }

    private static void AssertRefusal(
        TransitionRefusedException refusal, ReferralStatus from, ReferralAction action, Party party, IReadOnlyList<ReferralAction> allowed)
    {
        Assert.Equal(from, refusal.From);
        Assert.Equal(action, refusal.Action);
        Assert.Equal(party, refusal.Party);
        Assert.Equal(allowed, refusal.Allowed);
        Assert.Contains(action.Code(), refusal.Message, StringComparison.Ordinal);
        Assert.Contains(from.Code(), refusal.Message, StringComparison.Ordinal);
    }
}
