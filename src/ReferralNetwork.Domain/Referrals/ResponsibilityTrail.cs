namespace ReferralNetwork.Domain.Referrals;

/// <summary>
/// Who was responsible for one referral, and when (DESIGN §5). Each period starts where the previous one ended, so at
/// every instant from submission until the trail closes exactly one organisation answers for the person.
/// Methods return what changed for the handler to persist; time is always passed in, never read from a clock.
/// </summary>
public sealed class ResponsibilityTrail
{
    private readonly List<ResponsibilityPeriod> _periods;
    private ReferralStatus _status;

    private ResponsibilityTrail(List<ResponsibilityPeriod> periods, ReferralStatus status)
    {
        _periods = periods;
        _status = status;
        Periods = periods.AsReadOnly();
    }

    /// <summary>The periods in order; a live read-only view, so callers cannot bend the invariants.</summary>
    public IReadOnlyList<ResponsibilityPeriod> Periods { get; }

    /// <summary>True once nobody is responsible any more: the referral is final (a redirected one: its onward one settled).</summary>
    public bool IsClosed => _periods[^1].Until is not null;

    private int Last => _periods.Count - 1;

    /// <summary>The organisation of the current (or, once closed, the last) period.</summary>
    public Guid Current => _periods[Last].OrganisationId;

    /// <summary>
    /// Who was responsible at <paramref name="at"/>: the last period that had begun by then (periods have no gaps; an
    /// instant before submission belongs to the first period, one after the trail closed to the last).
    /// </summary>
    public Guid ResponsibleAt(DateTimeOffset at)
    {
        for (var i = Last; i > 0; i--)
        {
            if (_periods[i].From <= at) return _periods[i].OrganisationId;
        }
        return _periods[0].OrganisationId;
    }

    /// <summary>A referral just submitted: its referrer is responsible from <paramref name="at"/>.</summary>
    public static ResponsibilityTrail Start(Guid referrer, DateTimeOffset at) =>
        new([new ResponsibilityPeriod(referrer, at, null, ResponsibilityBasis.Submitted)], ReferralStatus.Requested);

    /// <summary>Rebuilds a stored trail of a referral now in <paramref name="status"/>, refusing one that breaks the invariants.</summary>
    public static ResponsibilityTrail Restore(IEnumerable<ResponsibilityPeriod> periods, ReferralStatus status)
    {
        ArgumentNullException.ThrowIfNull(periods);
        var list = periods.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("A trail has at least the submission period.", nameof(periods));
        }
        for (var i = 0; i < list.Count; i++)
        {
            var (from, until) = (list[i].From, list[i].Until);
            if (until is null && i < list.Count - 1)
            {
                throw new ArgumentException($"Period {i} is open but is not the last.", nameof(periods));
            }
            if (until < from || (i > 0 && list[i - 1].Until != from))
            {
                throw new ArgumentException($"Period {i} gaps, overlaps or ends before it starts.", nameof(periods));
            }
        }
        var open = list[^1].Until is null;
        // A redirected referral may be open (onward pending) or closed; every other final one must be closed.
        if (status != ReferralStatus.Redirected && open == ReferralStateMachine.IsFinal(status))
        {
            throw new ArgumentException($"A {status.Code()} referral's trail cannot be {(open ? "open" : "closed")}.", nameof(status));
        }
        return new ResponsibilityTrail(list, status);
    }

    /// <summary>
    /// Follows a transition the state machine allowed into <paramref name="newStatus"/>: hands responsibility over
    /// when the responsible organisation changes, and closes the trail when the referral is final. A redirected
    /// referral stays with its referrer until <see cref="CloseRedirected"/>.
    /// </summary>
    public IReadOnlyList<ResponsibilityChange> OnTransition(ReferralStatus newStatus, Guid referrer, Guid receiver, DateTimeOffset at)
    {
        if (ReferralStateMachine.IsFinal(_status))
        {
            throw new InvalidOperationException($"The referral is already {_status.Code()}; it cannot move again.");
        }
        EnsureNotBeforeLastStart(at);

        var changes = new List<ResponsibilityChange>();
        var basis = ResponsibilityBasis.For(newStatus);
        var responsible = Responsibility.ResponsibleAfter(newStatus, referrer, receiver);
        if (responsible != _periods[Last].OrganisationId)
        {
            changes.Add(Close(at, basis));
            _periods.Add(new ResponsibilityPeriod(responsible, at, null, basis));
            changes.Add(new ResponsibilityChange(ChangeKind.Opened, Last, _periods[Last], basis));
        }
        if (ReferralStateMachine.IsFinal(newStatus) && newStatus != ReferralStatus.Redirected)
        {
            changes.Add(Close(at, basis));
        }
        _status = newStatus;
        return changes;
    }

    /// <summary>Ends the referrer's responsibility for a redirected referral once its onward referral is accepted or ends.</summary>
    /// <param name="basis">Usually <see cref="ResponsibilityBasis.OnwardAccepted"/> or <see cref="ResponsibilityBasis.OnwardEnded"/>.</param>
    public IReadOnlyList<ResponsibilityChange> CloseRedirected(DateTimeOffset at, string basis)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(basis);
        if (_status != ReferralStatus.Redirected || IsClosed)
        {
            throw new InvalidOperationException(
                $"Only an open trail of a redirected referral waits for its onward referral; this one is {_status.Code()}{(IsClosed ? " and closed" : "")}.");
        }
        EnsureNotBeforeLastStart(at);
        return [Close(at, basis)];
    }

    private ResponsibilityChange Close(DateTimeOffset at, string basis)
    {
        _periods[Last] = _periods[Last] with { Until = at };
        return new ResponsibilityChange(ChangeKind.Closed, Last, _periods[Last], basis);
    }

    // Periods may be empty (two actions in the same instant) but never run backwards.
    private void EnsureNotBeforeLastStart(DateTimeOffset at)
    {
        if (at < _periods[Last].From)
        {
            throw new ArgumentOutOfRangeException(nameof(at), at, $"The current period started at {_periods[Last].From:O}.");
        }
    }
}
