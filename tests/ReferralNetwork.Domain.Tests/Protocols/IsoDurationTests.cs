using ReferralNetwork.Domain.Protocols;

namespace ReferralNetwork.Domain.Tests.Protocols;

public sealed class IsoDurationTests
{
    [Theory]
    [InlineData("PT1H", 1.0)]
    [InlineData("PT48H", 48.0)]
    [InlineData("P7D", 168.0)]
    [InlineData("P1DT12H", 36.0)]
    [InlineData("PT90M", 1.5)]
    public void Positive_durations_parse(string value, double hours)
    {
        Assert.True(IsoDuration.TryParse(value, out var span));
        Assert.Equal(TimeSpan.FromHours(hours), span);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("PT0S")]
    [InlineData("-PT1H")]
    [InlineData("1H")]
    [InlineData("PT")]
    [InlineData("soon")]
    [InlineData("P99999999999999D")]
    public void Zero_negative_malformed_or_overflowing_durations_are_refused_without_throwing(string? value)
    {
        Assert.False(IsoDuration.TryParse(value, out _));
    }
}
