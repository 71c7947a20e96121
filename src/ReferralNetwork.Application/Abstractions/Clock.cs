namespace ReferralNetwork.Application.Abstractions;

/// <summary>
/// Time for the application: <see cref="TimeProvider"/> truncated to microseconds, the precision every supported
/// database keeps, so a time written and read back is the same time (and hashes the same).
/// </summary>
public sealed class Clock(TimeProvider time)
{
    public DateTimeOffset Now()
    {
        var now = time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - now.Ticks % 10, TimeSpan.Zero);
    }
}
