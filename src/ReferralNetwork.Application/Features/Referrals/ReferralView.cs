using ReferralNetwork.Application.Features.Persons;

namespace ReferralNetwork.Application.Features.Referrals;

public sealed record DeadlinesView(DateTimeOffset? AcknowledgeBy, DateTimeOffset? DecideBy, DateTimeOffset? FollowUpBy, DateTimeOffset? ReviewBy);

/// <summary>
/// A referral as its parties see it. <see cref="Reason"/> is shown to referrer and receiver only (observers see the
/// referral and its timeline, not free text); <see cref="Person"/> carries initials and birth year, never names.
/// </summary>
public sealed record ReferralView(
    Guid Id, string Status, Guid ReferrerOrganisationId, Guid ReceiverOrganisationId, Guid ResponsibleOrganisationId,
    string ProtocolCode, int ProtocolVersion, string Urgency, IReadOnlyList<string> Services, DeadlinesView Deadlines, bool Overdue,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Version, PersonSummary Person, string? Reason, Guid? PartOf,
    string Relation, IReadOnlyList<string> AllowedActions);
