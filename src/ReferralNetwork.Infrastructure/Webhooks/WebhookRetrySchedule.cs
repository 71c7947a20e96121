namespace ReferralNetwork.Infrastructure.Webhooks;

/// <summary>
/// When to try again after a failed attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (about three days in
/// all), each ±10 % so that receivers recovering from an outage are not hit by every sender at the same instant. A
/// receiver's <c>Retry-After</c> wins when it asks for longer, up to the longest step.
/// </summary>
public static class WebhookRetrySchedule
{
    public static readonly IReadOnlyList<TimeSpan> Delays =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5),
        TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20), TimeSpan.FromHours(24),
    ];

    /// <summary>All attempts of one schedule: the first plus one per delay.</summary>
    public static int MaxAttempts => Delays.Count + 1;

    /// <summary>
    /// The wait after the <paramref name="failedAttempts"/>-th failed attempt of the current schedule, or null when it was
    /// the last one and the delivery has failed.
    /// </summary>
    public static TimeSpan? NextDelay(int failedAttempts, TimeSpan? retryAfter, Random random)
    {
        if (failedAttempts < 1 || failedAttempts > Delays.Count) return null;
        var planned = Delays[failedAttempts - 1];
        var jittered = TimeSpan.FromTicks((long)(planned.Ticks * (0.9 + 0.2 * random.NextDouble())));
        if (retryAfter is { } asked && asked > jittered)
            return asked < Delays[^1] ? asked : Delays[^1];
        return jittered;
    }
}
