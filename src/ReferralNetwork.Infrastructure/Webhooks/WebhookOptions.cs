namespace ReferralNetwork.Infrastructure.Webhooks;

/// <summary>Settings under <c>Webhooks:</c>.</summary>
public sealed class WebhookOptions
{
    /// <summary>How often the hosted dispatcher looks for outbox messages and due deliveries.</summary>
    public TimeSpan DispatchInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Lets subscriptions reach loopback, private and link-local addresses. Tests and closed networks only.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How long one attempt may take, connection included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a dispatcher owns a claimed delivery; longer than <see cref="Timeout"/>, so only a stalled replica loses it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Outbox messages fanned out, and due deliveries claimed, per pass.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Attempts one dispatcher has in flight at once (a slow receiver does not hold up the others).</summary>
    public int Parallelism { get; set; } = 4;
}
