using ReferralNetwork.Domain.Deadlines;
using ReferralNetwork.Domain.Protocols;

namespace ReferralNetwork.Domain.Referrals;

/// <summary>
/// A referral and every rule about how it changes (DESIGN §4, §5). Each method takes the acting party and the time,
/// decides through the one transition table, and returns a <see cref="ReferralChange"/>: the new state, the trail and
/// duty steps, the timeline entry, the notifications and the audit event — which one persistence path writes. Nothing
/// here reads a clock or a database.
/// </summary>
public sealed class Referral
{
    private readonly List<Duty> _duties;
    private readonly List<Observer> _observers;
    private readonly List<Guid> _escalations;
    private readonly List<StepDone> _steps;

    private Referral(ReferralState state, ResponsibilityTrail trail)
    {
        State = state;
        Trail = trail;
        _duties = [.. state.Duties];
        _observers = [.. state.Observers];
        _escalations = [.. state.Escalations];
        _steps = [.. state.Steps];
    }

    /// <summary>The stored fields (without trail, duties, observers and escalations, which are kept beside them).</summary>
    public ReferralState State { get; private set; }

    public ResponsibilityTrail Trail { get; }
    public IReadOnlyList<Duty> Duties => _duties;
    public IReadOnlyList<Observer> Observers => _observers;
    public IReadOnlyList<Guid> Escalations => _escalations;

    /// <summary>The protocol steps recorded as done, in the order they were.</summary>
    public IReadOnlyList<StepDone> StepsDone => _steps;

    public Guid Id => State.Id;
    public ReferralStatus Status => State.Status;
    public Guid Responsible => Trail.Current;

    public Duty? DutyOf(DeadlineKind deadline, string? step = null) => _duties.FirstOrDefault(d => d.Key == (deadline, step));

    /// <summary>The side of this referral an organisation is on; null when it is not a party or observer.</summary>
    public Party? PartyOf(Guid organisationId) =>
        organisationId == State.Referrer ? Party.Referrer
        : organisationId == State.Receiver ? Party.Receiver
        : _observers.Any(o => o.OrganisationId == organisationId) ? Party.Observer
        : null;

    /// <summary>Rebuilds a stored referral; the trail refuses one that breaks its invariants.</summary>
    public static Referral Restore(ReferralState state, IEnumerable<ResponsibilityPeriod> periods) =>
        new(state, ResponsibilityTrail.Restore(periods, state.Status));

    // ------------------------------------------------------------------------------------------------------------------
    // Submission
    // ------------------------------------------------------------------------------------------------------------------

    public static ReferralChange Submit(Submission s, Actor actor, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(s);
        var state = new ReferralState
        {
            Id = s.Id, Status = ReferralStatus.Requested, Referrer = s.Referrer, Receiver = s.Receiver, PersonId = s.PersonId,
            ProtocolCode = s.ProtocolCode, ProtocolVersion = s.ProtocolVersion, Urgency = s.Urgency, Services = s.Services, PartOf = s.PartOf, Reference = s.Reference,
            ConsentBasis = s.ConsentBasis, ConsentGivenBy = s.ConsentGivenBy, ConsentMethod = s.ConsentMethod, ConsentId = s.ConsentId,
            Override = s.OverrideReviewWithin is null ? null : new EmergencyOverride(actor.PrincipalId ?? Guid.Empty, OverrideStatus.Pending),
            GuardianClaim = s.ConsentBasis == ConsentBasis.Consent && s.ConsentGivenBy == "guardian" ? GuardianClaimStatus.Claimed : null,
            CreatedAt = now, UpdatedAt = now, Version = 1,
            Observers = s.Observers.DistinctBy(o => o.OrganisationId).Where(o => o.OrganisationId != s.Referrer && o.OrganisationId != s.Receiver).ToList(),
        };
        var referral = new Referral(state, ResponsibilityTrail.Start(s.Referrer, now));
        var change = new Builder(referral, now, "referral.submitted", 0) { Created = true };
        change.Responsibility.Add(new ResponsibilityChange(ChangeKind.Opened, 0, referral.Trail.Periods[0], ResponsibilityBasis.Submitted));
        change.Open(DeadlineKind.Acknowledge, s.Receiver, now + s.Acknowledge);
        change.Open(DeadlineKind.Decide, s.Receiver, now + s.Decide);
        if (s.OverrideReviewWithin is { } review) change.Open(DeadlineKind.Review, s.Referrer, now + review);
        if (s.GuardianAppointment is { } appointment) change.Open(DeadlineKind.GuardianAppointment, appointment.Holder, now + appointment.Within);
        change.ObserversAdded.AddRange(state.Observers);
        change.Timeline = new TimelineItem("submit", null, ReferralStatus.Requested, actor.OrganisationId, actor.PrincipalId, null, null);
        change.Data["personId"] = s.PersonId;
        change.Data["referrerOrganisationId"] = s.Referrer;
        change.Data["receiverOrganisationId"] = s.Receiver;
        change.Data["services"] = s.Services;
        change.Data["urgency"] = s.Urgency;
        change.Data["partOf"] = s.PartOf;
        // Part of the chained record, so verify can hold referrals.reference to it (events before issue 17 have none).
        change.Data["reference"] = s.Reference;
        change.Data["consent"] = s.ConsentBasis == ConsentBasis.EmergencyOverride ? s.ConsentBasis.Code() : s.ConsentGivenBy;
        change.Data["consentId"] = s.ConsentId;
        change.Data["observers"] = state.Observers.Select(o => new Dictionary<string, object?> { ["organisationId"] = o.OrganisationId, ["basis"] = o.Basis }).ToList();
        change.Notify("referral.submitted", referral.Parties());
        return change.Build();
    }

    // ------------------------------------------------------------------------------------------------------------------
    // The nine actions
    // ------------------------------------------------------------------------------------------------------------------

    /// <summary>Takes one of the nine actions (DESIGN §4) for <paramref name="party"/>, or throws the state machine's refusal.</summary>
    /// <param name="followUp">The pinned protocol's follow-up period; needed when the action accepts.</param>
    public ReferralChange Act(ReferralAction action, Party party, Actor actor, DateTimeOffset now, CompletionOutcome? outcome = null,
        DeclineReason? declineReason = null, TimeSpan? followUp = null, IReadOnlyList<ProtocolStep>? steps = null)
    {
        var from = Status;
        var to = ReferralStateMachine.Apply(from, action, party, outcome);
        if (to == ReferralStatus.Completed) EnsureMandatoryStepsDone(steps ?? []);
        var change = new Builder(this, now, ReferralEvents.For(action, to), State.Version);
        var decides = action is ReferralAction.Accept or ReferralAction.Decline or ReferralAction.Redirect;
        var met = action switch
        {
            ReferralAction.Acknowledge => DeadlineKind.Acknowledge,
            _ when decides => DeadlineKind.Decide,
            ReferralAction.Complete => DeadlineKind.FollowUp,
            _ => (DeadlineKind?)null,
        };
        long? lateBy = null;
        if (met is { } kind && DutyOf(kind) is { IsOpen: true } duty) lateBy = duty.LateBySeconds(now);

        // Deciding is also proof of receipt: a referral accepted straight from requested is not later reported unacknowledged.
        if (action == ReferralAction.Acknowledge || decides) change.Close(DeadlineKind.Acknowledge, DutyClosure.Met);
        if (decides) change.Close(DeadlineKind.Decide, DutyClosure.Met);
        if (action == ReferralAction.Complete) change.Close(DeadlineKind.FollowUp, DutyClosure.Met);
        if (to == ReferralStatus.Accepted)
            change.Open(DeadlineKind.FollowUp, State.Receiver, now + (followUp ?? throw new ArgumentNullException(nameof(followUp), "Accepting needs the follow-up period.")));
        if (to == ReferralStatus.Accepted)
            foreach (var step in (steps ?? []).Where(st => st.DueSpan is not null && DutyOf(DeadlineKind.Step, st.Code) is null))
                change.Open(DeadlineKind.Step, State.Receiver, now + step.DueSpan!.Value, step.Code);
        if (to == ReferralStatus.Cancelled) change.DischargeReceiverDuties();
        // A finished referral leaves no step to take: what was not done by then is no longer owed.
        else if (ReferralStateMachine.IsFinal(to)) change.DischargeStepDuties();

        change.MoveTo(to);
        State = State with
        {
            AcknowledgedAt = State.AcknowledgedAt ?? (action == ReferralAction.Acknowledge || decides ? now : null),
            DecidedAt = State.DecidedAt ?? (decides ? now : null),
            Outcome = outcome?.Code() ?? State.Outcome,
            DeclineReason = declineReason?.Code() ?? State.DeclineReason,
        };
        var code = outcome?.Code() ?? declineReason?.Code();
        change.Timeline = new TimelineItem(action.Code(), from, to, actor.OrganisationId, actor.PrincipalId, code, lateBy);
        change.Data["action"] = action.Code();
        change.Data["party"] = party.Code();
        change.Data["code"] = code;
        change.Data["lateBySeconds"] = lateBy;
        change.Notify(change.EventType, Parties());
        return change.Build();
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Emergency override review (four eyes)
    // ------------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// A supervisor of the referring organisation — never the principal who submitted the override — approves or
    /// rejects it. A rejection withdraws a referral that is not final yet (the network must not act on a referral
    /// nobody may justify); a final one is history and stays as it is. Late reviews are accepted and say how late.
    /// </summary>
    public ReferralChange ReviewOverride(bool approved, Party party, Actor reviewer, DateTimeOffset now)
    {
        if (party != Party.Referrer)
            throw new DomainForbiddenException("Only a supervisor of the referring organisation reviews its emergency override.");
        var pending = State.Override switch
        {
            null => throw new DomainConflictException("This referral was submitted with consent: there is no emergency override to review."),
            { Status: not OverrideStatus.Pending } done => throw new DomainConflictException($"The emergency override was already reviewed: {done.Status.Code()}."),
            var o => o,
        };
        if (reviewer.PrincipalId is null || reviewer.PrincipalId == pending.SubmittedBy)
            throw new DomainForbiddenException("Four eyes: the override must be reviewed by another supervisor than the one who submitted it.");

        var from = Status;
        var withdraw = !approved && !ReferralStateMachine.IsFinal(from);
        var to = withdraw ? ReferralStatus.Cancelled : from;
        var change = new Builder(this, now, "referral.override_reviewed", State.Version);
        var lateBy = DutyOf(DeadlineKind.Review) is { IsOpen: true } duty ? duty.LateBySeconds(now) : null;
        change.Close(DeadlineKind.Review, DutyClosure.Met);
        if (withdraw)
        {
            change.DischargeReceiverDuties();
            change.MoveTo(to, OverrideBasis.Rejected);
        }
        var decision = approved ? OverrideStatus.Approved : OverrideStatus.Rejected;
        State = State with { Override = pending with { Status = decision, ReviewedBy = reviewer.PrincipalId, ReviewedAt = now } };
        change.Timeline = new TimelineItem("override_review", from, to, reviewer.OrganisationId, reviewer.PrincipalId, decision.Code(), lateBy);
        change.Data["decision"] = decision.Code();
        change.Data["lateBySeconds"] = lateBy;
        if (withdraw) change.Notify("referral.cancelled", Parties());
        return change.Build();
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Missed deadlines
    // ------------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Records that <paramref name="deadline"/> passed while its duty was open: the breach (once per duty), the overdue
    /// flag, a timeline entry, and the notification to referrer, receiver, holder and the escalation target. Null when
    /// there is nothing to record (met in time, already breached, not due yet).
    /// </summary>
    public ReferralChange? MissDeadline(DeadlineKind deadline, DateTimeOffset now, Guid? escalationTarget, string? step = null)
    {
        if (DutyOf(deadline, step) is not { IsOpen: true, IsBreached: false } duty || duty.DueAt > now) return null;
        var change = new Builder(this, now, ReferralEvents.DeadlineMissed, State.Version) { Escalation = escalationTarget };
        change.Breach(duty);
        change.Timeline = new TimelineItem("deadline_missed", Status, Status, duty.HolderOrganisationId, null, step is null ? deadline.Code() : $"{deadline.Code()}:{step}",
            duty.LateBySeconds(now));
        return change.Build();
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Guardianship
    // ------------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// The guardian's centre for social work (or the municipality's, for a child without one) confirms or disputes the
    /// consent the referrer recorded in the guardian's name, and by confirming takes on the child's guardianship: a
    /// guardian appointment duty it holds is met. A dispute goes on the timeline and to the referrer.
    /// </summary>
    public ReferralChange ConfirmGuardian(bool confirmed, Actor actor, DateTimeOffset now)
    {
        var guardian = _observers.FirstOrDefault(o => o.OrganisationId == actor.OrganisationId
            && o.Basis is ObserverBasis.GuardianOrganisation or ObserverBasis.MunicipalityCsw)
            ?? throw new DomainForbiddenException("Only the child's guardian centre for social work confirms or disputes guardianship.");
        var appointment = DutyOf(DeadlineKind.GuardianAppointment);
        var awaiting = State.GuardianClaim == GuardianClaimStatus.Claimed || appointment is { IsOpen: true } && appointment.HolderOrganisationId == guardian.OrganisationId;
        if (!awaiting)
            throw new DomainConflictException("Nothing waits for the guardian here: no consent claimed in the guardian's name is open and no guardian appointment is due.");

        var change = new Builder(this, now, confirmed ? ReferralEvents.GuardianConfirmed : ReferralEvents.GuardianDisputed, State.Version);
        long? lateBy = null;
        if (confirmed && appointment is { IsOpen: true } open && open.HolderOrganisationId == guardian.OrganisationId)
        {
            lateBy = open.LateBySeconds(now);
            change.Close(DeadlineKind.GuardianAppointment, DutyClosure.Met);
        }
        if (State.GuardianClaim == GuardianClaimStatus.Claimed)
            State = State with { GuardianClaim = confirmed ? GuardianClaimStatus.Confirmed : GuardianClaimStatus.Disputed };
        change.Timeline = new TimelineItem(confirmed ? "guardian_confirmed" : "guardian_disputed", Status, Status, actor.OrganisationId, actor.PrincipalId, null, lateBy);
        change.Data["guardianOrganisationId"] = guardian.OrganisationId;
        change.Data["lateBySeconds"] = lateBy;
        change.Notify(change.EventType, confirmed ? Parties() : [State.Referrer, guardian.OrganisationId]);
        return change.Build();
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Protocol steps
    // ------------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// The receiver records a step of the pinned protocol as done (issue 23): once, while it works on the referral
    /// (accepted, in progress or on hold). A step duty it held is met. <paramref name="steps"/> are the protocol steps that
    /// apply to this referral's services; a code not among them, or one already done, is a conflict.
    /// </summary>
    public ReferralChange RecordStep(string code, IReadOnlyList<ProtocolStep> steps, Party party, Actor actor, Guid? noteId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (party != Party.Receiver) throw new DomainForbiddenException("Protocol steps are the receiver's to record.");
        if (Status is not (ReferralStatus.Accepted or ReferralStatus.InProgress or ReferralStatus.OnHold))
            throw new DomainConflictException($"Steps are recorded while the receiver works on the referral (accepted, in-progress, on-hold); it is {Status.Code()}.");
        if (steps.All(s => s.Code != code))
            throw new DomainConflictException($"The protocol {State.ProtocolCode} v{State.ProtocolVersion} has no step '{code}' for this referral's services.");
        if (_steps.Any(s => s.Code == code)) throw new DomainConflictException($"The step '{code}' was recorded before.");

        var change = new Builder(this, now, ReferralEvents.StepDone, State.Version);
        var duty = DutyOf(DeadlineKind.Step, code);
        long? lateBy = duty is { IsOpen: true } ? duty.LateBySeconds(now) : null;
        change.Close(DeadlineKind.Step, DutyClosure.Met, code);
        var done = new StepDone(code, now, actor.OrganisationId, actor.PrincipalId, noteId);
        _steps.Add(done);
        change.StepDone = done;
        change.Timeline = new TimelineItem("step_done", Status, Status, actor.OrganisationId, actor.PrincipalId, code, lateBy);
        change.Data["step"] = code;
        change.Data["noteId"] = noteId;
        change.Data["lateBySeconds"] = lateBy;
        change.Notify(ReferralEvents.StepDone, Parties(), new Dictionary<string, object?> { ["step"] = code });
        return change.Build();
    }

    /// <summary>Completing as provided (fully or partly) needs every mandatory step done; the failed outcomes do not.</summary>
    private void EnsureMandatoryStepsDone(IReadOnlyList<ProtocolStep> steps)
    {
        var missing = steps.Where(s => s.Mandatory && _steps.All(d => d.Code != s.Code)).Select(s => s.Code).ToList();
        if (missing.Count > 0)
            throw new DomainRuleException(StepRules.StepsMissing, $"The protocol's mandatory steps are not all done: {string.Join(", ", missing)}. Record them first, or complete with an outcome that says the service was not provided.")
            {
                Details = new Dictionary<string, object?> { ["missingSteps"] = missing },
            };
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Notes and onward referrals
    // ------------------------------------------------------------------------------------------------------------------

    /// <summary>A note between referrer and receiver: an event on the referral's chain, its text kept elsewhere, sealed.</summary>
    public ReferralChange AddNote(Party party, Actor actor, Guid noteId, DateTimeOffset now)
    {
        if (party == Party.Observer) throw new DomainForbiddenException("Notes are between referrer and receiver; an observer sees the timeline only.");
        var change = new Builder(this, now, "referral.note_added", State.Version) { RowChanged = false };
        change.Data["noteId"] = noteId;
        change.Data["organisationId"] = actor.OrganisationId;
        change.Notify(change.EventType, [State.Referrer, State.Receiver]);
        return change.Build();
    }

    /// <summary>
    /// The consent this referral relies on was withdrawn: the parties and observers are told and the timeline says so.
    /// The referral itself does not move (whether to withdraw it is the referrer's decision).
    /// </summary>
    public ReferralChange RecordConsentWithdrawn(Guid consentId, Actor actor, DateTimeOffset now)
    {
        var change = new Builder(this, now, "referral.consent_withdrawn", State.Version) { RowChanged = false };
        change.Timeline = new TimelineItem("consent_withdrawn", Status, Status, actor.OrganisationId, actor.PrincipalId, null, null);
        change.Data["consentId"] = consentId;
        change.Notify(change.EventType, Parties());
        return change.Build();
    }

    /// <summary>
    /// DESIGN §5: the referrer of a redirected referral stays responsible until the onward referral is accepted or ends
    /// without acceptance; then its open period closes. Null when nothing changes (not redirected, already settled).
    /// </summary>
    public ReferralChange? SettleOnward(Guid onwardId, ReferralStatus onwardStatus, Actor actor, DateTimeOffset now)
    {
        var basis = onwardStatus switch
        {
            ReferralStatus.Accepted => ResponsibilityBasis.OnwardAccepted,
            ReferralStatus.Rejected or ReferralStatus.Cancelled or ReferralStatus.Redirected => ResponsibilityBasis.OnwardEnded,
            _ => null,
        };
        if (basis is null || Status != ReferralStatus.Redirected || Trail.IsClosed) return null;
        var change = new Builder(this, now, $"referral.{basis}", State.Version);
        change.Responsibility.AddRange(Trail.CloseRedirected(now, basis));
        change.Data["onwardReferralId"] = onwardId;
        change.Data["onwardStatus"] = onwardStatus.Code();
        return change.Build();
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Assignment (issue 16)
    // ------------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Names the person of <paramref name="side"/> who holds the case there (null: nobody). Each side has its own assignee;
    /// the handler checked that the person belongs to that side's organisation and may work cases. Assigning the one
    /// already assigned is refused (never a silent no-op), and nobody is assigned to a closed referral (unassigning is
    /// always possible). The parties are told with <c>referral.assigned</c>.
    /// </summary>
    public ReferralChange Assign(Party side, Guid? assignee, Actor actor, DateTimeOffset now)
    {
        if (side == Party.Observer) throw new DomainForbiddenException("Only the referrer's and the receiver's people are assigned to a referral.");
        var current = AssigneeOf(side);
        if (current == assignee)
            throw new DomainConflictException(assignee is null ? "Nobody is assigned to this referral on your side." : "That person is assigned to this referral already.");
        if (assignee is not null && ReferralStateMachine.IsFinal(Status))
            throw new DomainConflictException($"The referral is {Status.Code()}: nobody can be assigned to it any more.");
        var change = new Builder(this, now, assignee is null ? ReferralEvents.Unassigned : ReferralEvents.Assigned, State.Version);
        State = side == Party.Referrer ? State with { ReferrerAssignee = assignee } : State with { ReceiverAssignee = assignee };
        change.Timeline = new TimelineItem(assignee is null ? "unassign" : "assign", Status, Status, actor.OrganisationId, actor.PrincipalId, side.Code(), null)
        {
            SubjectUserId = assignee ?? current,
        };
        change.Data["side"] = side.Code();
        change.Data["assigneeUserId"] = assignee;
        change.Data["previousAssigneeUserId"] = current;
        change.Notify(ReferralEvents.Assigned, [State.Referrer, State.Receiver], new Dictionary<string, object?>
        {
            ["side"] = side.Code(), ["assigneeUserId"] = assignee, ["previousAssigneeUserId"] = current,
        });
        return change.Build();
    }

    /// <summary>The person assigned on a side (null for an observer, or when nobody is).</summary>
    public Guid? AssigneeOf(Party side) => side switch
    {
        Party.Referrer => State.ReferrerAssignee,
        Party.Receiver => State.ReceiverAssignee,
        _ => null,
    };

    /// <summary>The organisations every event of this referral is announced to: referrer, receiver, observers.</summary>
    public IReadOnlyList<Guid> Parties() => [State.Referrer, State.Receiver, .. _observers.Select(o => o.OrganisationId)];

    // ------------------------------------------------------------------------------------------------------------------

    /// <summary>Collects one change's steps and turns them into a <see cref="ReferralChange"/> with its audit data.</summary>
    private sealed class Builder(Referral referral, DateTimeOffset now, string eventType, int expectedVersion)
    {
        public string EventType { get; } = eventType;
        public bool Created { get; init; }
        public bool RowChanged { get; init; } = true;
        public Guid? Escalation { get; init; }
        public TimelineItem? Timeline { get; set; }
        public StepDone? StepDone { get; set; }
        public List<ResponsibilityChange> Responsibility { get; } = [];
        public List<DutyChange> Duties { get; } = [];
        public List<Observer> ObserversAdded { get; } = [];
        public List<Notification> Notifications { get; } = [];
        public Dictionary<string, object?> Data { get; } = [];
        private readonly ReferralStatus _from = referral.Status;

        public void Open(DeadlineKind deadline, Guid holder, DateTimeOffset dueAt, string? step = null)
        {
            if (referral.DutyOf(deadline, step) is not null) throw new InvalidOperationException($"The {deadline.Code()} duty {step} was opened before.");
            var duty = new Duty(deadline, holder, now, dueAt) { Step = step };
            referral._duties.Add(duty);
            Duties.Add(new DutyChange(DutyChangeKind.Opened, duty, now));
        }

        /// <summary>Closes the duty if it is open; one that passed its due time unnoticed is recorded as breached first.</summary>
        public void Close(DeadlineKind deadline, string basis, string? step = null)
        {
            if (referral.DutyOf(deadline, step) is not { IsOpen: true } duty) return;
            if (!duty.IsBreached && duty.DueAt < now) duty = Breach(duty);
            Replace(duty with { ClosedAt = now, ClosedBasis = basis }, DutyChangeKind.Closed);
        }

        public void DischargeReceiverDuties()
        {
            foreach (var deadline in (DeadlineKind[])[DeadlineKind.Acknowledge, DeadlineKind.Decide, DeadlineKind.FollowUp])
                Close(deadline, DutyClosure.Discharged);
            DischargeStepDuties();
        }

        public void DischargeStepDuties()
        {
            foreach (var duty in referral._duties.Where(d => d.Deadline == DeadlineKind.Step && d.IsOpen).ToList())
                Close(DeadlineKind.Step, DutyClosure.Discharged, duty.Step);
        }

        public Duty Breach(Duty duty)
        {
            var breached = duty with
            {
                BreachedAt = now, ResponsibleAtDue = referral.Trail.ResponsibleAt(duty.DueAt),
                HolderAssignee = referral.AssigneeOf(referral.PartyOf(duty.HolderOrganisationId) ?? Party.Observer),
            };
            Replace(breached, DutyChangeKind.Breached);
            referral.State = referral.State with { Overdue = true };
            var recipients = new List<Guid> { referral.State.Referrer, referral.State.Receiver, duty.HolderOrganisationId };
            if (Escalation is { } target)
            {
                recipients.Add(target);
                if (!referral._escalations.Contains(target))
                {
                    referral._escalations.Add(target);
                    EscalationsAdded.Add(target);
                }
            }
            Notify(ReferralEvents.DeadlineMissed, recipients, new Dictionary<string, object?>
            {
                ["deadline"] = duty.Deadline.Code(), ["step"] = duty.Step, ["holderOrganisationId"] = duty.HolderOrganisationId, ["dueAt"] = duty.DueAt,
                ["lateBySeconds"] = duty.LateBySeconds(now) ?? 0, ["responsibleOrganisationId"] = breached.ResponsibleAtDue, ["escalationOrganisationId"] = Escalation,
            });
            Data.TryAdd("deadline", duty.Deadline.Code());
            if (duty.Step is not null) Data.TryAdd("step", duty.Step);
            Data.TryAdd("holderOrganisationId", duty.HolderOrganisationId);
            Data.TryAdd("dueAt", duty.DueAt);
            Data.TryAdd("lateBySeconds", duty.LateBySeconds(now) ?? 0);
            Data.TryAdd("escalationOrganisationId", Escalation);
            return breached;
        }

        public List<Guid> EscalationsAdded { get; } = [];

        private void Replace(Duty duty, DutyChangeKind kind)
        {
            var i = referral._duties.FindIndex(d => d.Key == duty.Key);
            referral._duties[i] = duty;
            Duties.Add(new DutyChange(kind, duty, now));
        }

        public void MoveTo(ReferralStatus to, string? basis = null)
        {
            var changes = referral.Trail.OnTransition(to, referral.State.Referrer, referral.State.Receiver, now);
            Responsibility.AddRange(basis is null ? changes : changes.Select(c => c with
            {
                Basis = basis, Period = c.Kind == ChangeKind.Opened ? c.Period with { Basis = basis } : c.Period,
            }));
            referral.State = referral.State with { Status = to, FinishedAt = referral.State.FinishedAt ?? (ReferralStateMachine.IsFinal(to) ? now : null) };
        }

        public void Notify(string type, IEnumerable<Guid> recipients, IReadOnlyDictionary<string, object?>? data = null)
        {
            // Webhook receivers get the reference people say with every event of a referral that has one (issue 17).
            IReadOnlyDictionary<string, object?> payload = referral.State.Reference is { } reference
                ? new Dictionary<string, object?>(data ?? new Dictionary<string, object?>()) { ["reference"] = reference }
                : data ?? new Dictionary<string, object?>();
            Notifications.Add(new Notification(type, recipients.Where(id => id != Guid.Empty).Distinct().ToList(), payload));
        }

        public ReferralChange Build()
        {
            if (RowChanged && !Created) referral.State = referral.State with { UpdatedAt = now, Version = referral.State.Version + 1 };
            var state = referral.State;
            var data = new Dictionary<string, object?>
            {
                ["referralId"] = state.Id, ["from"] = Created ? null : _from.Code(), ["to"] = state.Status.Code(),
                ["responsibleOrganisationId"] = referral.Responsible, ["protocolCode"] = state.ProtocolCode, ["protocolVersion"] = state.ProtocolVersion,
            };
            foreach (var (key, value) in Data) data[key] = value;
            data["responsibility"] = Responsibility.Select(DescribeResponsibility).ToList();
            data["duties"] = Duties.Select(DescribeDuty).ToList();
            return new ReferralChange(referral, now, Created, expectedVersion, RowChanged, EventType, data, Timeline, Responsibility, Duties, ObserversAdded,
                EscalationsAdded, Notifications, StepDone);
        }

        private static object DescribeResponsibility(ResponsibilityChange change) => new Dictionary<string, object?>
        {
            ["change"] = change.Kind == ChangeKind.Opened ? "opened" : "closed", ["seq"] = change.Sequence + 1,
            ["organisationId"] = change.Period.OrganisationId, ["basis"] = change.Basis,
            ["at"] = change.Kind == ChangeKind.Opened ? change.Period.From : change.Period.Until,
        };

        private static object DescribeDuty(DutyChange change)
        {
            var d = change.Duty;
            var described = new Dictionary<string, object?>
            {
                ["deadline"] = d.Deadline.Code(), ["change"] = change.Kind.Code(), ["holderOrganisationId"] = d.HolderOrganisationId,
                ["dueAt"] = d.DueAt, ["at"] = change.At,
            };
            if (d.Step is not null) described["step"] = d.Step;
            if (change.Kind == DutyChangeKind.Closed)
            {
                described["basis"] = d.ClosedBasis;
                described["lateBySeconds"] = d.LateBySeconds(change.At);
            }
            if (change.Kind == DutyChangeKind.Breached)
            {
                described["responsibleOrganisationId"] = d.ResponsibleAtDue;
                // Only when someone was assigned, so the events of referrals without assignment read as before.
                if (d.HolderAssignee is { } assignee) described["holderAssigneeUserId"] = assignee;
                described["lateBySeconds"] = d.LateBySeconds(change.At);
            }
            return described;
        }
    }
}

/// <summary>The stored fields of a referral.</summary>
public sealed record ReferralState
{
    public required Guid Id { get; init; }
    public required ReferralStatus Status { get; init; }
    public required Guid Referrer { get; init; }
    public required Guid Receiver { get; init; }
    public required Guid PersonId { get; init; }
    public required string ProtocolCode { get; init; }
    public required int ProtocolVersion { get; init; }
    public required string Urgency { get; init; }
    public required IReadOnlyList<string> Services { get; init; }
    public Guid? PartOf { get; init; }

    /// <summary>The reference people say (issue 17); null for a referral submitted before references existed.</summary>
    public string? Reference { get; init; }
    public bool Overdue { get; init; }
    public ConsentBasis ConsentBasis { get; init; }
    public string? ConsentGivenBy { get; init; }
    public string? ConsentMethod { get; init; }
    public Guid? ConsentId { get; init; }
    public EmergencyOverride? Override { get; init; }
    public GuardianClaimStatus? GuardianClaim { get; init; }
    public DateTimeOffset? AcknowledgedAt { get; init; }
    public DateTimeOffset? DecidedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string? Outcome { get; init; }
    public string? DeclineReason { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public required int Version { get; init; }

    /// <summary>The people holding the case on each side (issue 16).</summary>
    public Guid? ReferrerAssignee { get; init; }
    public Guid? ReceiverAssignee { get; init; }
    public IReadOnlyList<Duty> Duties { get; init; } = [];
    public IReadOnlyList<Observer> Observers { get; init; } = [];
    public IReadOnlyList<Guid> Escalations { get; init; } = [];
    public IReadOnlyList<StepDone> Steps { get; init; } = [];
}

/// <summary>The rules protocol steps enforce.</summary>
public static class StepRules
{
    public const string StepsMissing = "protocol.steps_missing";
}

/// <summary>The closing basis of a trail ended by a rejected emergency override.</summary>
public static class OverrideBasis
{
    public const string Rejected = "override_rejected";
}

/// <summary>The event names of DESIGN §7 (<c>referral.accepted</c>, <c>referral.on_hold</c>, …).</summary>
public static class ReferralEvents
{
    public const string DeadlineMissed = "referral.deadline_missed";
    public const string GuardianConfirmed = "referral.guardian_confirmed";
    public const string GuardianDisputed = "referral.guardian_disputed";
    public const string StepDone = "referral.step_done";
    public const string Assigned = "referral.assigned";
    public const string Unassigned = "referral.unassigned";

    public static string For(ReferralAction action, ReferralStatus to) => action switch
    {
        ReferralAction.Acknowledge => "referral.received",
        ReferralAction.Accept => "referral.accepted",
        ReferralAction.Decline => "referral.rejected",
        ReferralAction.Redirect => "referral.redirected",
        ReferralAction.Start => "referral.started",
        ReferralAction.Hold => "referral.on_hold",
        ReferralAction.Resume => "referral.resumed",
        ReferralAction.Complete => to == ReferralStatus.Failed ? "referral.failed" : "referral.completed",
        ReferralAction.Withdraw => "referral.cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Not a referral action."),
    };
}
