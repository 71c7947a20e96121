namespace ReferralNetwork.Application.Features.Webhooks;

/// <summary>The events a subscription may ask for (DESIGN §7), and how a subscription's filter is stored.</summary>
public static class WebhookEvents
{
    public static readonly IReadOnlyList<string> All =
    [
        "referral.submitted", "referral.received", "referral.accepted", "referral.rejected", "referral.redirected",
        "referral.started", "referral.on_hold", "referral.resumed", "referral.completed", "referral.failed",
        "referral.cancelled", "referral.deadline_missed", "referral.note_added", "referral.assigned",
    ];

    /// <summary>The stored filter of a subscription that asked for no events in particular: it receives every event.</summary>
    private const string Everything = "*";

    public static bool IsKnown(string? eventType) => eventType is not null && All.Contains(eventType, StringComparer.Ordinal);

    public static string Store(IReadOnlyList<string>? events) =>
        events is null || events.Count == 0 ? Everything : string.Join(',', events.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    /// <summary>The filter as the API shows it: empty means every event.</summary>
    public static IReadOnlyList<string> Read(string stored) =>
        stored == Everything ? [] : stored.Split(',', StringSplitOptions.RemoveEmptyEntries);

    public static bool Matches(string stored, string eventType) =>
        stored == Everything || stored.Split(',').Contains(eventType, StringComparer.Ordinal);
}

/// <summary>Where a delivery stands. <c>pending</c> waits for its next attempt; the other three are final until a redelivery.</summary>
public static class WebhookDeliveryStates
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
    /// <summary>The subscription was deleted or disabled (410) before the delivery succeeded.</summary>
    public const string Cancelled = "cancelled";
}
