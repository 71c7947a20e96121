using ReferralNetwork.Domain.Deadlines;

namespace ReferralNetwork.Domain.Tests.Deadlines;

public sealed class DeadlineKindTests
{
    [Fact]
    public void Deadline_kinds_are_the_codes_breaches_and_timelines_use()
    {
        Assert.Equal(["acknowledge", "decide", "follow_up", "review", "guardian_appointment", "step"], Enum.GetValues<DeadlineKind>().Select(k => k.Code()));
    }
}
