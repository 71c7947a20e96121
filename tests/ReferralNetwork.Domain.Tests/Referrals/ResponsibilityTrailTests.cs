using ReferralNetwork.Domain.Referrals;
using static ReferralNetwork.Domain.Referrals.ChangeKind;
using static ReferralNetwork.Domain.Referrals.ReferralStatus;

namespace ReferralNetwork.Domain.Tests.Referrals;

public sealed class ResponsibilityTrailTests
{
    private static readonly Guid Referrer = Guid.Parse("0190a000-0000-7000-8000-000000000001");
    private static readonly Guid Receiver = Guid.Parse("0190a000-0000-7000-8000-000000000002");
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset T1 = T0.AddHours(1);
    private static readonly DateTimeOffset T2 = T0.AddDays(2);
    private static readonly DateTimeOffset T3 = T0.AddDays(9);

    private static ResponsibilityPeriod Period(Guid org, DateTimeOffset from, DateTimeOffset? until, string basis) => new(org, from, until, basis);

    private static ResponsibilityTrail AcceptedAt(DateTimeOffset at)
    {
        var trail = ResponsibilityTrail.Start(Referrer, T0);
        trail.OnTransition(Accepted, Referrer, Receiver, at);
        return trail;
    }

    [Fact]
    public void Submission_makes_the_referrer_responsible_from_the_submission_time()
    {
        var trail = ResponsibilityTrail.Start(Referrer, T0);
        Assert.Equal([Period(Referrer, T0, null, "submitted")], trail.Periods);
        Assert.False(trail.IsClosed);
    }

    [Fact]
    public void Acknowledging_leaves_responsibility_with_the_referrer()
    {
        var trail = ResponsibilityTrail.Start(Referrer, T0);
        Assert.Empty(trail.OnTransition(Received, Referrer, Receiver, T1));
        Assert.Equal([Period(Referrer, T0, null, "submitted")], trail.Periods);
    }

    [Fact]
    public void Accept_hands_responsibility_to_the_receiver_at_the_same_instant()
    {
        var trail = ResponsibilityTrail.Start(Referrer, T0);
        var changes = trail.OnTransition(Accepted, Referrer, Receiver, T1);

        Assert.Equal(
            [new(Closed, 0, Period(Referrer, T0, T1, "submitted"), "accepted"), new(Opened, 1, Period(Receiver, T1, null, "accepted"), "accepted")],
            changes);
        Assert.Equal([Period(Referrer, T0, T1, "submitted"), Period(Receiver, T1, null, "accepted")], trail.Periods);
    }

    [Fact]
    public void Starting_holding_and_resuming_keep_the_receiver_responsible()
    {
        var trail = AcceptedAt(T1);
        Assert.Empty(trail.OnTransition(InProgress, Referrer, Receiver, T2));
        Assert.Empty(trail.OnTransition(OnHold, Referrer, Receiver, T2));
        Assert.Empty(trail.OnTransition(InProgress, Referrer, Receiver, T3));
        Assert.Equal(Period(Receiver, T1, null, "accepted"), trail.Periods[^1]);
    }

    [Theory]
    [InlineData(Completed)]
    [InlineData(Failed)]
    public void Completion_closes_the_receivers_period_and_the_trail(ReferralStatus final)
    {
        var trail = AcceptedAt(T1);
        var changes = trail.OnTransition(final, Referrer, Receiver, T3);

        Assert.Equal([new(Closed, 1, Period(Receiver, T1, T3, "accepted"), final.Code())], changes);
        Assert.True(trail.IsClosed);
    }

    [Fact]
    public void Decline_returns_responsibility_to_the_referrer_and_closes_the_trail()
    {
        var trail = ResponsibilityTrail.Start(Referrer, T0);
        var changes = trail.OnTransition(Rejected, Referrer, Receiver, T1);

        Assert.Equal([new(Closed, 0, Period(Referrer, T0, T1, "submitted"), "rejected")], changes);
        Assert.Equal(Referrer, trail.Periods[^1].OrganisationId);
        Assert.True(trail.IsClosed);
    }

    [Fact]
    public void Withdrawal_before_acceptance_closes_the_referrers_period()
    {
        var trail = ResponsibilityTrail.Start(Referrer, T0);
        Assert.Equal([new(Closed, 0, Period(Referrer, T0, T1, "submitted"), "cancelled")], trail.OnTransition(Cancelled, Referrer, Receiver, T1));
    }

    [Fact]
    public void Withdrawal_after_acceptance_returns_responsibility_to_the_referrer_as_the_trail_closes()
    {
        // The referrer withdrew the person from the receiver's care, so the last word is the referrer's, if only for an instant.
        var trail = AcceptedAt(T1);
        var changes = trail.OnTransition(Cancelled, Referrer, Receiver, T2);

        Assert.Equal(
            [
                new(Closed, 1, Period(Receiver, T1, T2, "accepted"), "cancelled"),
                new(Opened, 2, Period(Referrer, T2, null, "cancelled"), "cancelled"),
                new(Closed, 2, Period(Referrer, T2, T2, "cancelled"), "cancelled"),
            ],
            changes);
        Assert.True(trail.IsClosed);
    }

    [Theory]
    [InlineData(ResponsibilityBasis.OnwardAccepted)]
    [InlineData(ResponsibilityBasis.OnwardEnded)]
    public void Redirect_keeps_the_referrers_period_open_until_the_onward_referral_is_accepted_or_ends(string basis)
    {
        var trail = ResponsibilityTrail.Start(Referrer, T0);
        Assert.Empty(trail.OnTransition(Redirected, Referrer, Receiver, T1));
        Assert.False(trail.IsClosed);

        var changes = trail.CloseRedirected(T2, basis);

        Assert.Equal([new(Closed, 0, Period(Referrer, T0, T2, "submitted"), basis)], changes);
        Assert.True(trail.IsClosed);
    }

    [Fact]
    public void Only_a_redirected_referral_waits_for_its_onward_referral()
    {
        var trail = AcceptedAt(T1);
        Assert.Throws<InvalidOperationException>(() => trail.CloseRedirected(T2, ResponsibilityBasis.OnwardAccepted));
    }

    [Fact]
    public void A_redirected_trail_closes_only_once()
    {
        var trail = ResponsibilityTrail.Start(Referrer, T0);
        trail.OnTransition(Redirected, Referrer, Receiver, T1);
        trail.CloseRedirected(T2, ResponsibilityBasis.OnwardEnded);
        Assert.Throws<InvalidOperationException>(() => trail.CloseRedirected(T3, ResponsibilityBasis.OnwardAccepted));
    }

    [Fact]
    public void Closing_a_redirect_needs_a_basis()
    {
        var trail = ResponsibilityTrail.Start(Referrer, T0);
        trail.OnTransition(Redirected, Referrer, Receiver, T1);
        Assert.Throws<ArgumentException>(() => trail.CloseRedirected(T2, ""));
        Assert.False(trail.IsClosed);
    }

    [Theory]
    [InlineData(Accepted, Completed)]
    [InlineData(Redirected)]
    public void A_final_referral_cannot_move_again(params ReferralStatus[] path)
    {
        var trail = ResponsibilityTrail.Start(Referrer, T0);
        foreach (var status in path)
        {
            trail.OnTransition(status, Referrer, Receiver, T1);
        }
        Assert.Throws<InvalidOperationException>(() => trail.OnTransition(Cancelled, Referrer, Receiver, T2));
    }

    [Fact]
    public void Time_running_backwards_is_refused_and_changes_nothing()
    {
        var trail = AcceptedAt(T2);
        Assert.Throws<ArgumentOutOfRangeException>(() => trail.OnTransition(Completed, Referrer, Receiver, T1));
        Assert.Equal([Period(Referrer, T0, T2, "submitted"), Period(Receiver, T2, null, "accepted")], trail.Periods);
    }

    [Fact]
    public void Two_transitions_in_the_same_instant_leave_an_empty_period_not_a_gap()
    {
        var trail = AcceptedAt(T0);
        Assert.Equal([Period(Referrer, T0, T0, "submitted"), Period(Receiver, T0, null, "accepted")], trail.Periods);
    }

    [Fact]
    public void Periods_cannot_be_changed_through_the_exposed_list()
    {
        var periods = (IList<ResponsibilityPeriod>)ResponsibilityTrail.Start(Referrer, T0).Periods;
        Assert.Throws<NotSupportedException>(() => periods.Add(Period(Receiver, T1, null, "accepted")));
    }
}
