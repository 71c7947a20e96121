using CsCheck;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Domain.Tests.Referrals;

/// <summary>
/// Random valid lives of a referral, driven through the state machine and the trail together. After every step the
/// trail must still say, without gap or overlap, who answered for the person since submission.
/// </summary>
public sealed class ResponsibilityTrailProperties
{
    private static readonly Guid Referrer = Guid.Parse("0190a000-0000-7000-8000-000000000001");
    private static readonly Guid Receiver = Guid.Parse("0190a000-0000-7000-8000-000000000002");
    private static readonly DateTimeOffset Submitted = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    // A step picks one of the moves open at that point; a quarter of the delays are zero so same-instant actions occur.
    private static readonly Gen<Step[]> Lives = Gen.Select(
            Gen.Int[0, 1000],
            Gen.Enum<CompletionOutcome>(),
            Gen.Frequency((1, Gen.Const(0L)), (3, Gen.Long[1, TimeSpan.TicksPerDay * 10])),
            (choice, outcome, delay) => new Step(choice, outcome, TimeSpan.FromTicks(delay)))
        .Array[0, 12];

    [Fact]
    public void Every_valid_life_leaves_a_gapless_trail_that_names_the_responsible_organisation()
    {
        Lives.Sample(Live, iter: 5_000);
    }

    private static void Live(Step[] steps)
    {
        var (status, at, onwardSettled) = (ReferralStatus.Requested, Submitted, false);
        var trail = ResponsibilityTrail.Start(Referrer, at);
        var stored = trail.Periods.ToList(); // what a handler would have in the database after applying every change
        AssertInvariants(trail, stored, status, onwardSettled);

        foreach (var step in steps)
        {
            at += step.Delay;
            IReadOnlyList<ResponsibilityChange> changes;
            if (status == ReferralStatus.Redirected)
            {
                if (onwardSettled)
                {
                    break;
                }
                changes = trail.CloseRedirected(at, step.Choice % 2 == 0 ? ResponsibilityBasis.OnwardAccepted : ResponsibilityBasis.OnwardEnded);
                onwardSettled = true;
            }
            else
            {
                var moves = ReferralStateMachine.AllowedActions(status, Party.Receiver).Select(a => (Action: a, Party: Party.Receiver))
                    .Concat(ReferralStateMachine.AllowedActions(status, Party.Referrer).Select(a => (Action: a, Party: Party.Referrer)))
                    .ToList();
                if (moves.Count == 0)
                {
                    break;
                }
                var (action, party) = moves[step.Choice % moves.Count];
                status = ReferralStateMachine.Apply(status, action, party, action == ReferralAction.Complete ? step.Outcome : null);
                changes = trail.OnTransition(status, Referrer, Receiver, at);
            }
            Persist(stored, changes);
            AssertInvariants(trail, stored, status, onwardSettled);
            if (trail.IsClosed)
            {
                Assert.Equal(at, trail.Periods[^1].Until);
            }
        }
    }

    private static void Persist(List<ResponsibilityPeriod> stored, IReadOnlyList<ResponsibilityChange> changes)
    {
        foreach (var change in changes)
        {
            if (change.Kind == ChangeKind.Opened)
            {
                Assert.Equal(stored.Count, change.Sequence);
                Assert.Equal(change.Period.Basis, change.Basis);
                stored.Add(change.Period);
            }
            else
            {
                Assert.Equal(stored[change.Sequence] with { Until = change.Period.Until }, change.Period);
                stored[change.Sequence] = change.Period;
            }
        }
    }

    private static void AssertInvariants(ResponsibilityTrail trail, List<ResponsibilityPeriod> stored, ReferralStatus status, bool onwardSettled)
    {
        var periods = trail.Periods;
        Assert.Equal(stored, periods);
        Assert.Equal((Referrer, Submitted, ResponsibilityBasis.Submitted), (periods[0].OrganisationId, periods[0].From, periods[0].Basis));
        for (var i = 1; i < periods.Count; i++)
        {
            Assert.Equal(periods[i - 1].Until, periods[i].From); // no gap, no overlap
            Assert.NotEqual(periods[i - 1].OrganisationId, periods[i].OrganisationId); // split only when responsibility moves
        }
        Assert.All(periods, p => Assert.True(p.Until is null || p.Until >= p.From));

        var shouldBeOpen = !ReferralStateMachine.IsFinal(status) || (status == ReferralStatus.Redirected && !onwardSettled);
        Assert.Equal(shouldBeOpen, periods[^1].Until is null);
        Assert.Equal(!shouldBeOpen, trail.IsClosed);
        Assert.Equal(Responsibility.ResponsibleAfter(status, Referrer, Receiver), periods[^1].OrganisationId);
        Assert.Equal(periods, ResponsibilityTrail.Restore(stored, status).Periods);
    }

    private sealed record Step(int Choice, CompletionOutcome Outcome, TimeSpan Delay);
}
