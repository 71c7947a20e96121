using ReferralNetwork.Application.Features.Persons;

namespace ReferralNetwork.Application.Features.Referrals;

public sealed record DeadlinesView(DateTimeOffset? AcknowledgeBy, DateTimeOffset? DecideBy, DateTimeOffset? FollowUpBy, DateTimeOffset? ReviewBy);

/// <summary>
/// A referral as its parties see it. <see cref="Reason"/> is shown to referrer and receiver only (observers see the
/// referral and its timeline, not free text); <see cref="Person"/> carries initials and birth year, never names.
/// <see cref="AllowedActions"/> are the action wire codes the caller's organisation may take now; <see cref="Outcome"/>
/// and <see cref="DeclineReason"/> are codes, the free text that came with them is in the notes.
/// </summary>
public sealed record ReferralView(
    Guid Id, string Status, Guid ReferrerOrganisationId, Guid ReceiverOrganisationId, Guid ResponsibleOrganisationId,
    string ProtocolCode, int ProtocolVersion, string Urgency, IReadOnlyList<string> Services, DeadlinesView Deadlines, bool Overdue,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Version, PersonSummary Person, string? Reason, Guid? PartOf,
    string Relation, IReadOnlyList<string> AllowedActions, string? Outcome, string? DeclineReason, OnwardReferralView? Onward);

/// <summary>
/// Where a redirected referral went: the onward referral's id, status and receiver. The original referrer stays
/// responsible until that referral is accepted or ends, so it needs to follow it — though it cannot open it.
/// </summary>
public sealed record OnwardReferralView(Guid Id, string Status, Guid ReceiverOrganisationId);
