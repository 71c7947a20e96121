using ReferralNetwork.Domain.Deadlines;

namespace ReferralNetwork.Domain.Referrals;

/// <summary>
/// A deadline with the party that must meet it (DESIGN §5): opened with its due time, closed once — met by the holder's
/// action, or discharged when nobody can act on it any more (the referrer withdrew) — and breached at most once, when
/// it passed while still open. A duty stays open whatever else happens to the referral until it is met or discharged.
/// </summary>
public sealed record Duty(DeadlineKind Deadline, Guid HolderOrganisationId, DateTimeOffset OpenedAt, DateTimeOffset DueAt)
{
    /// <summary>The protocol step a <see cref="DeadlineKind.Step"/> duty is about; null for every other kind.</summary>
    public string? Step { get; init; }

    /// <summary>A duty's identity within its referral: the deadline kind, and the step code for step duties.</summary>
    public (DeadlineKind Deadline, string? Step) Key => (Deadline, Step);

    public DateTimeOffset? ClosedAt { get; init; }
    public string? ClosedBasis { get; init; }

    /// <summary>When the breach was recorded (by the monitor, or by the late action that closed the duty).</summary>
    public DateTimeOffset? BreachedAt { get; init; }

    /// <summary>The organisation responsible for the referral at <see cref="DueAt"/>, recorded with the breach.</summary>
    public Guid? ResponsibleAtDue { get; init; }

    /// <summary>The person assigned on the holder's side when the breach was recorded (issue 16); null when nobody was.</summary>
    public Guid? HolderAssignee { get; init; }

    public bool IsOpen => ClosedAt is null;
    public bool IsBreached => BreachedAt is not null;

    /// <summary>Whole seconds from <see cref="DueAt"/> to <paramref name="at"/> (the action, or now for an open duty); null when not late.</summary>
    public long? LateBySeconds(DateTimeOffset at) => LateBy(DueAt, at);

    public static long? LateBy(DateTimeOffset dueAt, DateTimeOffset at) => at > dueAt ? (long)Math.Floor((at - dueAt).TotalSeconds) : null;
}

/// <summary>Why a duty closed.</summary>
public static class DutyClosure
{
    /// <summary>The holder did what the duty asked.</summary>
    public const string Met = "met";

    /// <summary>Nobody can act on it any more (the referral was withdrawn or its override rejected).</summary>
    public const string Discharged = "discharged";
}

public enum DutyChangeKind
{
    Opened,
    Breached,
    Closed,
}

/// <summary>One step of a duty, in the order it is persisted; <see cref="Duty"/> is its state after the step.</summary>
public sealed record DutyChange(DutyChangeKind Kind, Duty Duty, DateTimeOffset At);

/// <summary>A protocol step the receiver recorded as done: when, by whom, and the sealed note that came with it, if any.</summary>
public sealed record StepDone(string Code, DateTimeOffset DoneAt, Guid OrganisationId, Guid? PrincipalId, Guid? NoteId);
