namespace ReferralNetwork.Application.Features.Webhooks;

/// <summary>A subscription as listed: never its secret. <see cref="Events"/> empty means every event.</summary>
public sealed record WebhookView(Guid Id, Guid OrganisationId, string Url, IReadOnlyList<string> Events, string? Description, bool Active,
    string? DisabledReason, DateTimeOffset? DisabledAt, DateTimeOffset CreatedAt);

/// <summary>The answer to a subscription: the only time its signing secret is shown.</summary>
public sealed record CreatedWebhookView(Guid Id, Guid OrganisationId, string Url, IReadOnlyList<string> Events, string? Description, bool Active,
    DateTimeOffset CreatedAt, string Secret);

/// <summary>One attempt to deliver: the receiver's status code (null when no answer came), how long it took, what went wrong.</summary>
public sealed record WebhookAttemptView(int Attempt, DateTimeOffset AttemptedAt, int? StatusCode, int DurationMs, string? Error, DateTimeOffset? NextAttemptAt);

/// <summary>
/// One event for one subscription. Its <see cref="Id"/> is the <c>webhook-id</c> header, the same on every attempt, so a
/// receiver can drop duplicates. <see cref="State"/> is pending, delivered, failed or cancelled.
/// </summary>
public sealed record WebhookDeliveryView(Guid Id, Guid SubscriptionId, Guid MessageId, string EventType, Guid? ReferralId, string? ReferralStatus,
    DateTimeOffset OccurredAt, string State, int AttemptCount, DateTimeOffset? NextAttemptAt, int? LastStatusCode, DateTimeOffset? DeliveredAt,
    DateTimeOffset CreatedAt, IReadOnlyList<WebhookAttemptView> Attempts);

internal sealed record WebhookRow
{
    public const string Columns = """
        id, organisation_id AS OrganisationId, url, events, description, active, disabled_reason AS DisabledReason,
        disabled_at AS DisabledAt, created_at AS CreatedAt
        """;

    public Guid Id { get; init; }
    public Guid OrganisationId { get; init; }
    public string Url { get; init; } = "";
    public string Events { get; init; } = "";
    public string? Description { get; init; }
    public bool Active { get; init; }
    public string? DisabledReason { get; init; }
    public DateTimeOffset? DisabledAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    public WebhookView ToView() =>
        new(Id, OrganisationId, Url, WebhookEvents.Read(Events), Description, Active, DisabledReason, DisabledAt, CreatedAt);
}

internal sealed record WebhookDeliveryRow
{
    public const string Columns = """
        d.id, d.subscription_id AS SubscriptionId, d.message_id AS MessageId, d.event_type AS EventType, d.referral_id AS ReferralId,
        d.referral_status AS ReferralStatus, d.occurred_at AS OccurredAt, d.state, d.attempts, d.next_attempt_at AS NextAttemptAt,
        d.last_status_code AS LastStatusCode, d.delivered_at AS DeliveredAt, d.created_at AS CreatedAt, d.lease_until AS LeaseUntil
        """;

    public Guid Id { get; init; }
    public Guid SubscriptionId { get; init; }
    public Guid MessageId { get; init; }
    public string EventType { get; init; } = "";
    public Guid? ReferralId { get; init; }
    public string? ReferralStatus { get; init; }
    public DateTimeOffset OccurredAt { get; init; }
    public string State { get; init; } = "";
    public int Attempts { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
    public int? LastStatusCode { get; init; }
    public DateTimeOffset? DeliveredAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LeaseUntil { get; init; }

    public WebhookDeliveryView ToView(IReadOnlyList<WebhookAttemptView> attempts) => new(Id, SubscriptionId, MessageId, EventType, ReferralId,
        ReferralStatus, OccurredAt, State, Attempts, NextAttemptAt, LastStatusCode, DeliveredAt, CreatedAt, attempts);
}

internal sealed record WebhookAttemptRow
{
    public const string Columns = """
        delivery_id AS DeliveryId, attempt, attempted_at AS AttemptedAt, status_code AS StatusCode, duration_ms AS DurationMs,
        error, next_attempt_at AS NextAttemptAt
        """;

    public Guid DeliveryId { get; init; }
    public int Attempt { get; init; }
    public DateTimeOffset AttemptedAt { get; init; }
    public int? StatusCode { get; init; }
    public int DurationMs { get; init; }
    public string? Error { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }

    public WebhookAttemptView ToView() => new(Attempt, AttemptedAt, StatusCode, DurationMs, Error, NextAttemptAt);
}
