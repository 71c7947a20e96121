using ReferralNetwork.Domain.Referrals;
using static ReferralNetwork.Domain.Referrals.ReferralStatus;

namespace ReferralNetwork.Domain.Tests.Referrals;

public sealed class ResponsibilityTests
{
    private static readonly Guid Referrer = Guid.Parse("0190a000-0000-7000-8000-000000000001");
    private static readonly Guid Receiver = Guid.Parse("0190a000-0000-7000-8000-000000000002");

    [Theory]
    [InlineData(Requested, "referrer")]
    [InlineData(Received, "referrer")]
    [InlineData(Accepted, "receiver")]
    [InlineData(InProgress, "receiver")]
    [InlineData(OnHold, "receiver")]
    [InlineData(Completed, "receiver")]
    [InlineData(Failed, "receiver")]
    [InlineData(Rejected, "referrer")]
    [InlineData(Cancelled, "referrer")]
    [InlineData(Redirected, "referrer")]
    public void The_referrer_answers_until_acceptance_and_again_after_a_referral_ends_unaccepted_or_withdrawn(ReferralStatus status, string expected)
    {
        Assert.Equal(expected == "referrer" ? Referrer : Receiver, Responsibility.ResponsibleAfter(status, Referrer, Receiver));
    }

    [Fact]
    public void An_unknown_status_has_no_responsible_organisation()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Responsibility.ResponsibleAfter((ReferralStatus)99, Referrer, Receiver));
    }
}
