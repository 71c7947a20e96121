namespace ReferralNetwork.Domain.Referrals;

/// <summary>
/// Who acts: an organisation and, unless the system acts (the deadline monitor), the principal — for a named person
/// (issue 16) also their <see cref="UserId"/> (then the principal id is the user's id); null for a partner system's key.
/// </summary>
public sealed record Actor(Guid OrganisationId, Guid? PrincipalId, Guid? UserId = null)
{
    public static Actor System(Guid organisationId) => new(organisationId, null);

    public bool IsSystem => PrincipalId is null;
}

/// <summary>An organisation that sees a referral without acting on it, and why (<see cref="ObserverBasis"/>).</summary>
public sealed record Observer(Guid OrganisationId, string Basis);

public static class ObserverBasis
{
    /// <summary>The child's guardian centre for social work (protocol <c>mandatoryObservers: guardianOrganisation</c>).</summary>
    public const string GuardianOrganisation = "guardianOrganisation";

    /// <summary>The municipality's centre for social work, brought in for a child without a guardian organisation.</summary>
    public const string MunicipalityCsw = "municipality_csw";

    /// <summary>The referrer of a redirected referral, following the onward one to see how the loop closes.</summary>
    public const string OriginalReferrer = "original_referrer";
}

public enum ConsentBasis
{
    Consent,
    EmergencyOverride,
}

public enum OverrideStatus
{
    Pending,
    Approved,
    Rejected,
}

/// <summary>An emergency override of consent, and who must not review it (the principal who submitted it).</summary>
public sealed record EmergencyOverride(Guid SubmittedBy, OverrideStatus Status, Guid? ReviewedBy = null, DateTimeOffset? ReviewedAt = null);

/// <summary>A consent the referrer recorded as given by the guardian, as the guardian CSW judged the claim.</summary>
public enum GuardianClaimStatus
{
    Claimed,
    Confirmed,
    Disputed,
}

/// <summary>A webhook event to queue in the outbox: type, the organisations to tell, and ids/codes for its payload.</summary>
public sealed record Notification(string EventType, IReadOnlyList<Guid> Recipients, IReadOnlyDictionary<string, object?> Data);

/// <summary>What the parties' timeline shows of a change: codes only, never free text.</summary>
public sealed record TimelineItem(string Action, ReferralStatus? From, ReferralStatus To, Guid OrganisationId, Guid? PrincipalId, string? Code, long? LateBySeconds)
{
    /// <summary>The person an entry is about (issue 16: the user assigned, or unassigned).</summary>
    public Guid? SubjectUserId { get; init; }
}

/// <summary>
/// Everything one change of a referral consists of, for the one persistence path to write in one transaction: the
/// referral as it now stands (its row, guarded by <see cref="ExpectedVersion"/>), the trail and duty steps, the timeline
/// entry, the notifications, and the audit event (<see cref="EventType"/> with <see cref="EventData"/>, which carries
/// the trail and duty steps so that every projection can be replayed from the chain).
/// </summary>
public sealed record ReferralChange(
    Referral Referral,
    DateTimeOffset At,
    bool Created,
    int ExpectedVersion,
    bool RowChanged,
    string EventType,
    IReadOnlyDictionary<string, object?> EventData,
    TimelineItem? Timeline,
    IReadOnlyList<ResponsibilityChange> Responsibility,
    IReadOnlyList<DutyChange> Duties,
    IReadOnlyList<Observer> ObserversAdded,
    IReadOnlyList<Guid> EscalationsAdded,
    IReadOnlyList<Notification> Notifications,
    StepDone? StepDone = null);

/// <summary>What a new referral is made of; the handler checked the rules that need the database before building it.</summary>
public sealed record Submission
{
    public required Guid Id { get; init; }
    public required Guid Referrer { get; init; }
    public required Guid Receiver { get; init; }
    public required Guid PersonId { get; init; }
    public required string ProtocolCode { get; init; }
    public required int ProtocolVersion { get; init; }
    public required string Urgency { get; init; }
    public required IReadOnlyList<string> Services { get; init; }
    public required TimeSpan Acknowledge { get; init; }
    public required TimeSpan Decide { get; init; }
    public Guid? PartOf { get; init; }

    /// <summary>The reference people say (<c>RN-2026-004213</c>, issue 17), numbered by the write path in the submit's transaction.</summary>
    public string? Reference { get; init; }
    public IReadOnlyList<Observer> Observers { get; init; } = [];
    public ConsentBasis ConsentBasis { get; init; } = ConsentBasis.Consent;
    public string? ConsentGivenBy { get; init; }
    public string? ConsentMethod { get; init; }
    public Guid? ConsentId { get; init; }

    /// <summary>Set for an emergency override: the review duty falls due this long after submission.</summary>
    public TimeSpan? OverrideReviewWithin { get; init; }

    /// <summary>A guardian appointment duty for the municipality's centre for social work (a child without a guardian organisation).</summary>
    public (Guid Holder, TimeSpan Within)? GuardianAppointment { get; init; }
}
