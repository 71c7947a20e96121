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
    string Relation, IReadOnlyList<string> AllowedActions, string? Outcome, string? DeclineReason, OnwardReferralView? Onward,
    string ConsentBasis, OverrideView? EmergencyOverride, IReadOnlyList<DutyView>? Duties = null, IReadOnlyList<StepView>? Steps = null)
{
    /// <summary>Who holds the case on each side (issue 16): user ids, pseudonymous to the other side.</summary>
    public AssigneesView Assignees { get; init; } = AssigneesView.None;

    /// <summary>The reference people say (<c>RN-2026-004213</c>, issue 17); null only for a referral submitted before references existed.</summary>
    public string? Reference { get; init; }

    /// <summary>The earliest due time of the referral's open duties (what <c>sort=due</c> orders by); null when none is open.</summary>
    public DateTimeOffset? NextDueAt { get; init; }
}

/// <summary>The people assigned to a referral on the referrer's and on the receiver's side (null: nobody).</summary>
public sealed record AssigneesView(Guid? Referrer, Guid? Receiver)
{
    public static readonly AssigneesView None = new(null, null);
}

/// <summary>
/// A step of the pinned protocol that applies to the referral's services (issue 23), its title and guidance in the
/// reader's language (Accept-Language; falling back to en, then sr-Latn). <c>due</c> is when its duty falls due (null
/// until accepted, or for a step without one); <c>doneAt</c>/<c>doneBy</c> say who recorded it; <c>note</c> is the text
/// recorded with it, for referrer and receiver only. Only a single referral's view lists steps.
/// </summary>
public sealed record StepView(string Code, string Title, string? Guidance, string? LegalBasis, bool Mandatory, string? DueWithin, DateTimeOffset? Due,
    DateTimeOffset? DoneAt, Guid? DoneBy, string? Note);

/// <summary>
/// The review state of an emergency override of consent: <c>pending</c> until a supervisor of the referring
/// organisation other than its submitter approves or rejects it (four eyes), due by <c>reviewBy</c>.
/// </summary>
public sealed record OverrideView(string Status, DateTimeOffset? ReviewBy, Guid? SubmittedBy, Guid? ReviewedBy, DateTimeOffset? ReviewedAt);

/// <summary>
/// A deadline and the organisation that must meet it (DESIGN §5). <c>lateBySeconds</c> is how late it was met, or — while
/// still open and past due — how late it is now. Only a single referral's view lists its duties; lists leave them out.
/// </summary>
public sealed record DutyView(string Deadline, Guid HolderOrganisationId, DateTimeOffset DueAt, DateTimeOffset? ClosedAt, string? ClosedBasis,
    DateTimeOffset? BreachedAt, long? LateBySeconds)
{
    /// <summary>The protocol step of a <c>step</c> duty; absent for the other deadlines.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Step { get; init; }
}

/// <summary>
/// Where a redirected referral went: the onward referral's id, status and receiver. The original referrer stays
/// responsible until that referral is accepted or ends, so it needs to follow it — though it cannot open it.
/// </summary>
public sealed record OnwardReferralView(Guid Id, string Status, Guid ReceiverOrganisationId);
