using ReferralNetwork.Domain.Referrals;
using static ReferralNetwork.Domain.Referrals.ReferralStatus;

namespace ReferralNetwork.Domain.Tests.Referrals;

public sealed class ResponsibilityTrailRestoreTests
{
    private static readonly Guid Referrer = Guid.Parse("0190a000-0000-7000-8000-000000000001");
    private static readonly Guid Receiver = Guid.Parse("0190a000-0000-7000-8000-000000000002");
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset T1 = T0.AddHours(1);
    private static readonly DateTimeOffset T2 = T0.AddDays(2);

    private static ResponsibilityPeriod Referrers(DateTimeOffset from, DateTimeOffset? until) => new(Referrer, from, until, "submitted");

    private static ResponsibilityPeriod Receivers(DateTimeOffset from, DateTimeOffset? until) => new(Receiver, from, until, "accepted");

    public static TheoryData<string, ResponsibilityPeriod[], ReferralStatus> BrokenTrails() => TheoryRows.Of(new (string, ResponsibilityPeriod[], ReferralStatus)[]
    {
        ("empty", [], Requested),
        ("gap", [Referrers(T0, T1), Receivers(T2, null)], Accepted),
        ("overlap", [Referrers(T0, T2), Receivers(T1, null)], Accepted),
        ("open in the middle", [Referrers(T0, null), Receivers(T1, null)], Accepted),
        ("ends before it starts", [Referrers(T1, T0)], Rejected),
        ("open though final", [Referrers(T0, T1), Receivers(T1, null)], Completed),
        ("closed though active", [Referrers(T0, T1), Receivers(T1, T2)], InProgress),
    });

    [Theory]
    [MemberData(nameof(BrokenTrails))]
    public void Restore_refuses_a_stored_trail_that_breaks_the_invariants(string broken, ResponsibilityPeriod[] periods, ReferralStatus status)
    {
        Assert.NotEmpty(broken); // the name only labels the case in test results
        Assert.ThrowsAny<ArgumentException>(() => ResponsibilityTrail.Restore(periods, status));
    }

    [Fact]
    public void A_restored_trail_goes_on_like_the_original()
    {
        var original = ResponsibilityTrail.Start(Referrer, T0);
        original.OnTransition(Accepted, Referrer, Receiver, T1);
        var restored = ResponsibilityTrail.Restore(original.Periods, Accepted);

        Assert.Equal(original.OnTransition(Completed, Referrer, Receiver, T2), restored.OnTransition(Completed, Referrer, Receiver, T2));
        Assert.Equal(original.Periods, restored.Periods);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_redirected_trail_may_be_stored_open_or_closed(bool closed)
    {
        var restored = ResponsibilityTrail.Restore([Referrers(T0, closed ? T2 : null)], Redirected);
        Assert.Equal(closed, restored.IsClosed);
    }

    [Fact]
    public void A_restored_trail_does_not_share_the_callers_list()
    {
        var stored = new List<ResponsibilityPeriod> { Referrers(T0, null) };
        var restored = ResponsibilityTrail.Restore(stored, Requested);
        stored.Clear();
        Assert.Single(restored.Periods);
    }
}
