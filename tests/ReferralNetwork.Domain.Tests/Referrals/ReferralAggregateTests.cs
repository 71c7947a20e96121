using CsCheck;
using ReferralNetwork.Domain.Deadlines;
using ReferralNetwork.Domain.Protocols;
using ReferralNetwork.Domain.Referrals;
using static ReferralNetwork.Domain.Referrals.ReferralStatus;

namespace ReferralNetwork.Domain.Tests.Referrals;

/// <summary>
/// The <see cref="Referral"/> aggregate: every status × action × party decided by the one table, every duty opened
/// and closed where DESIGN §5 says, and — over random lives — duties close exactly once, each is breached at most once,
/// and the trail never has a gap or an overlap.
/// </summary>
public sealed class ReferralAggregateTests
{
    private static readonly Guid ReferrerOrg = Guid.Parse("0190b000-0000-7000-8000-000000000001");
    private static readonly Guid ReceiverOrg = Guid.Parse("0190b000-0000-7000-8000-000000000002");
    private static readonly Guid GuardianOrg = Guid.Parse("0190b000-0000-7000-8000-000000000003");
    private static readonly Guid Coordinator = Guid.Parse("0190b000-0000-7000-8000-000000000004");
    private static readonly Actor Submitter = new(ReferrerOrg, Guid.Parse("0190b000-0000-7000-8000-0000000000a1"));
    private static readonly Actor OtherSupervisor = new(ReferrerOrg, Guid.Parse("0190b000-0000-7000-8000-0000000000a2"));
    private static readonly Actor ReceiverWorker = new(ReceiverOrg, Guid.Parse("0190b000-0000-7000-8000-0000000000b1"));
    private static readonly Actor GuardianWorker = new(GuardianOrg, Guid.Parse("0190b000-0000-7000-8000-0000000000c1"));
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan FollowUp = TimeSpan.FromDays(14);

    private static Submission NewSubmission(bool withOverride = false, bool guardianAppointment = false) => new()
    {
        Id = Guid.CreateVersion7(), Referrer = ReferrerOrg, Receiver = ReceiverOrg, PersonId = Guid.CreateVersion7(), ProtocolCode = "standard",
        ProtocolVersion = 1, Urgency = "urgent", Services = ["legal_aid"], Acknowledge = TimeSpan.FromHours(1), Decide = TimeSpan.FromHours(12),
        Observers = guardianAppointment ? [new Observer(GuardianOrg, ObserverBasis.MunicipalityCsw)] : [],
        ConsentBasis = withOverride ? ConsentBasis.EmergencyOverride : ConsentBasis.Consent, ConsentGivenBy = withOverride ? null : "person",
        OverrideReviewWithin = withOverride ? TimeSpan.FromHours(24) : null,
        GuardianAppointment = guardianAppointment ? (GuardianOrg, TimeSpan.FromHours(24)) : null,
    };

    private static Actor ActorOf(Party party) => party switch
    {
        Party.Referrer => Submitter,
        Party.Receiver => ReceiverWorker,
        _ => GuardianWorker,
    };

    /// <summary>A referral brought into <paramref name="status"/> by the shortest valid path, one minute per step.</summary>
    private static Referral InStatus(ReferralStatus status, out DateTimeOffset at)
    {
        at = T0;
        var referral = Referral.Submit(NewSubmission(), Submitter, at).Referral;
        ReferralAction[] path = status switch
        {
            Requested => [],
            Received => [ReferralAction.Acknowledge],
            Accepted => [ReferralAction.Accept],
            InProgress => [ReferralAction.Accept, ReferralAction.Start],
            OnHold => [ReferralAction.Accept, ReferralAction.Hold],
            Completed or Failed => [ReferralAction.Accept, ReferralAction.Complete],
            Rejected => [ReferralAction.Decline],
            Redirected => [ReferralAction.Redirect],
            Cancelled => [ReferralAction.Withdraw],
            _ => throw new ArgumentOutOfRangeException(nameof(status)),
        };
        foreach (var action in path)
        {
            at = at.AddMinutes(1);
            var party = action == ReferralAction.Withdraw ? Party.Referrer : Party.Receiver;
            var outcome = action == ReferralAction.Complete ? status == Failed ? CompletionOutcome.LostContact : CompletionOutcome.ServiceProvided : (CompletionOutcome?)null;
            referral.Act(action, party, ActorOf(party), at, outcome, action == ReferralAction.Decline ? DeclineReason.NoCapacity : null, FollowUp);
        }
        Assert.Equal(status, referral.Status);
        return referral;
    }

    public static TheoryData<ReferralStatus, ReferralAction, Party> EveryTriple => TheoryRows.Of(
        from s in Enum.GetValues<ReferralStatus>() from a in Enum.GetValues<ReferralAction>() from p in Enum.GetValues<Party>() select (s, a, p));

    [Theory]
    [MemberData(nameof(EveryTriple))]
    public void Every_status_action_and_party_is_decided_by_the_one_table(ReferralStatus status, ReferralAction action, Party party)
    {
        var referral = InStatus(status, out var at);
        var outcome = action == ReferralAction.Complete ? CompletionOutcome.ServiceProvided : (CompletionOutcome?)null;
        Exception? expected = Record.Exception(() => ReferralStateMachine.Apply(status, action, party, outcome));
        var versionBefore = referral.State.Version;
        var dutiesBefore = referral.Duties.ToList();

        var actual = Record.Exception(() => referral.Act(action, party, ActorOf(party), at.AddMinutes(1), outcome, null, FollowUp));

        if (expected is not null)
        {
            Assert.IsType(expected.GetType(), actual);
            Assert.Equal(status, referral.Status); // a refusal changes nothing
            Assert.Equal(versionBefore, referral.State.Version);
            Assert.Equal(dutiesBefore, referral.Duties);
            return;
        }
        Assert.Null(actual);
        Assert.Equal(ReferralStateMachine.Apply(status, action, party, outcome), referral.Status);
        Assert.Equal(versionBefore + 1, referral.State.Version);
        Assert.Equal(Responsibility.ResponsibleAfter(referral.Status, ReferrerOrg, ReceiverOrg), referral.Responsible);
    }

    [Fact]
    public void Submission_opens_the_receivers_acknowledge_and_decide_duties_and_an_override_opens_the_referrers_review()
    {
        var change = Referral.Submit(NewSubmission(withOverride: true, guardianAppointment: true), Submitter, T0);
        Assert.Equal(
            [(DeadlineKind.Acknowledge, ReceiverOrg, T0.AddHours(1)), (DeadlineKind.Decide, ReceiverOrg, T0.AddHours(12)),
             (DeadlineKind.Review, ReferrerOrg, T0.AddHours(24)), (DeadlineKind.GuardianAppointment, GuardianOrg, T0.AddHours(24))],
            change.Duties.Select(d => (d.Duty.Deadline, d.Duty.HolderOrganisationId, d.Duty.DueAt)));
        Assert.All(change.Duties, d => Assert.Equal(DutyChangeKind.Opened, d.Kind));
        Assert.Equal(1, change.Referral.State.Version);
        Assert.Equal([ResponsibilityBasis.Submitted], change.Responsibility.Select(r => r.Basis));
    }

    [Fact]
    public void Accepting_meets_acknowledge_and_decide_and_opens_follow_up_which_completion_meets()
    {
        var referral = Referral.Submit(NewSubmission(), Submitter, T0).Referral;
        var accept = referral.Act(ReferralAction.Accept, Party.Receiver, ReceiverWorker, T0.AddMinutes(30), followUp: FollowUp);
        Assert.Equal([(DeadlineKind.Acknowledge, DutyChangeKind.Closed), (DeadlineKind.Decide, DutyChangeKind.Closed), (DeadlineKind.FollowUp, DutyChangeKind.Opened)],
            accept.Duties.Select(d => (d.Duty.Deadline, d.Kind)));
        Assert.All(referral.Duties.Where(d => d.Deadline != DeadlineKind.FollowUp), d => Assert.Equal(DutyClosure.Met, d.ClosedBasis));
        Assert.Equal(T0.AddMinutes(30) + FollowUp, referral.DutyOf(DeadlineKind.FollowUp)!.DueAt);

        var complete = referral.Act(ReferralAction.Complete, Party.Receiver, ReceiverWorker, T0.AddDays(2), CompletionOutcome.ServiceProvided);
        Assert.Equal([(DeadlineKind.FollowUp, DutyChangeKind.Closed)], complete.Duties.Select(d => (d.Duty.Deadline, d.Kind)));
        Assert.All(referral.Duties, d => Assert.False(d.IsOpen));
    }

    [Fact]
    public void Withdrawal_discharges_the_receivers_duties_but_the_override_review_stays_open_and_is_breached()
    {
        var referral = Referral.Submit(NewSubmission(withOverride: true), Submitter, T0).Referral;
        referral.Act(ReferralAction.Withdraw, Party.Referrer, Submitter, T0.AddMinutes(5));
        Assert.All(referral.Duties.Where(d => d.Deadline != DeadlineKind.Review), d => Assert.Equal(DutyClosure.Discharged, d.ClosedBasis));
        Assert.True(referral.DutyOf(DeadlineKind.Review)!.IsOpen);

        Assert.Null(referral.MissDeadline(DeadlineKind.Review, T0.AddHours(23), Coordinator)); // not due yet
        var missed = referral.MissDeadline(DeadlineKind.Review, T0.AddHours(25), Coordinator)!;
        Assert.Equal([(DeadlineKind.Review, DutyChangeKind.Breached)], missed.Duties.Select(d => (d.Duty.Deadline, d.Kind)));
        Assert.Equal(ReferrerOrg, missed.Duties[0].Duty.ResponsibleAtDue);
        Assert.Equal([Coordinator], missed.EscalationsAdded);
        Assert.Null(referral.MissDeadline(DeadlineKind.Review, T0.AddHours(26), Coordinator)); // once per duty

        var review = referral.ReviewOverride(approved: true, Party.Referrer, OtherSupervisor, T0.AddHours(27));
        var closed = Assert.Single(review.Duties);
        Assert.Equal((DutyChangeKind.Closed, 3L * 3600), (closed.Kind, closed.Duty.LateBySeconds(closed.At)!.Value));
        Assert.Equal(Cancelled, referral.Status); // approving after the fact moves nothing
    }

    [Fact]
    public void The_submitter_may_not_review_its_own_override_and_a_rejection_withdraws_an_open_referral()
    {
        var referral = Referral.Submit(NewSubmission(withOverride: true), Submitter, T0).Referral;
        Assert.Throws<DomainForbiddenException>(() => referral.ReviewOverride(true, Party.Referrer, Submitter, T0.AddMilliseconds(4)));
        Assert.Throws<DomainForbiddenException>(() => referral.ReviewOverride(true, Party.Receiver, ReceiverWorker, T0.AddMinutes(1)));
        referral.Act(ReferralAction.Accept, Party.Receiver, ReceiverWorker, T0.AddMinutes(2), followUp: FollowUp);

        var rejected = referral.ReviewOverride(false, Party.Referrer, OtherSupervisor, T0.AddMinutes(3));
        Assert.Equal(Cancelled, referral.Status);
        Assert.Equal(ReferrerOrg, referral.Responsible);
        Assert.True(referral.Trail.IsClosed);
        Assert.All(rejected.Responsibility, c => Assert.Equal(OverrideBasis.Rejected, c.Basis));
        Assert.Equal(DutyClosure.Discharged, referral.DutyOf(DeadlineKind.FollowUp)!.ClosedBasis);
        Assert.Throws<DomainConflictException>(() => referral.ReviewOverride(true, Party.Referrer, OtherSupervisor, T0.AddMinutes(4)));
    }

    [Fact]
    public void A_late_action_records_the_breach_it_met_late_with_the_actions_own_lateness()
    {
        var referral = Referral.Submit(NewSubmission(), Submitter, T0).Referral;
        var ack = referral.Act(ReferralAction.Acknowledge, Party.Receiver, ReceiverWorker, T0.AddHours(1).AddSeconds(128));
        Assert.Equal([DutyChangeKind.Breached, DutyChangeKind.Closed], ack.Duties.Select(d => d.Kind));
        Assert.Equal(128, ack.Timeline!.LateBySeconds);
        Assert.Equal(ReferrerOrg, referral.DutyOf(DeadlineKind.Acknowledge)!.ResponsibleAtDue);
        Assert.Equal(ReceiverOrg, referral.DutyOf(DeadlineKind.Acknowledge)!.HolderOrganisationId);
        Assert.True(referral.State.Overdue);
        Assert.Contains(ack.Notifications, n => n.EventType == ReferralEvents.DeadlineMissed && n.Data["holderOrganisationId"] is Guid g && g == ReceiverOrg);
    }

    [Fact]
    public void The_guardian_appointment_duty_is_the_csws_and_only_it_meets_it()
    {
        var referral = Referral.Submit(NewSubmission(guardianAppointment: true), Submitter, T0).Referral;
        Assert.Throws<DomainForbiddenException>(() => referral.ConfirmGuardian(true, ReceiverWorker, T0.AddMinutes(1)));
        var confirmed = referral.ConfirmGuardian(true, GuardianWorker, T0.AddMinutes(2));
        Assert.Equal([(DeadlineKind.GuardianAppointment, DutyChangeKind.Closed)], confirmed.Duties.Select(d => (d.Duty.Deadline, d.Kind)));
        Assert.Throws<DomainConflictException>(() => referral.ConfirmGuardian(true, GuardianWorker, T0.AddMinutes(3)));
    }

    // ------------------------------------------------------------------------------------------------------------------

    private sealed record Move(int Choice, int Party, int Deadline, long DelayTicks);

    /// <summary>The pinned protocol's steps in the random lives: a mandatory one, and one due two hours after acceptance.</summary>
    private static readonly ProtocolStep[] LifeSteps =
    [
        new() { Code = "intake", Title = new Dictionary<string, string> { ["en"] = "Intake" }, Mandatory = true },
        new() { Code = "advice", Title = new Dictionary<string, string> { ["en"] = "Advice" }, Due = "PT2H" },
    ];

    private static readonly Gen<Move[]> Lives = Gen.Select(Gen.Int[0, 1000], Gen.Int[0, 2], Gen.Int[0, 5],
            Gen.Frequency((1, Gen.Const(0L)), (3, Gen.Long[1, TimeSpan.TicksPerHour * 30])),
            (choice, party, deadline, delay) => new Move(choice, party, deadline, delay))
        .Array[0, 16];

    [Fact]
    public void Over_random_lives_duties_close_exactly_once_breaches_are_recorded_once_per_duty_and_the_trail_has_no_gaps()
    {
        Lives.Sample(Live, iter: 3_000);
    }

    private static void Live(Move[] moves)
    {
        var submission = NewSubmission(withOverride: moves.Length % 2 == 0, guardianAppointment: moves.Length % 3 == 0);
        var at = T0;
        var first = Referral.Submit(submission, Submitter, at);
        var referral = first.Referral;
        var changes = new List<ReferralChange> { first };
        foreach (var move in moves)
        {
            at = at.AddTicks(move.DelayTicks);
            var party = (Party)move.Party;
            var kind = (DeadlineKind)move.Deadline;
            var change = (move.Choice % 6) switch
            {
                0 => referral.MissDeadline(kind, at, Coordinator, kind == DeadlineKind.Step ? "advice" : null),
                5 => TryRecordStep(referral, move.Choice % 4 < 2 ? "intake" : "advice", party, at),
                1 when referral.State.Override is { Status: OverrideStatus.Pending } => referral.ReviewOverride(move.Choice % 2 == 0, Party.Referrer, OtherSupervisor, at),
                2 when referral.Observers.Count > 0 && referral.DutyOf(DeadlineKind.GuardianAppointment) is { IsOpen: true } =>
                    referral.ConfirmGuardian(true, GuardianWorker, at),
                _ => TryAct(referral, move.Choice, party, at),
            };
            if (change is not null) changes.Add(change);
        }

        var steps = changes.SelectMany(c => c.Duties).ToList();
        foreach (var group in steps.GroupBy(s => s.Duty.Key))
        {
            Assert.Single(group, s => s.Kind == DutyChangeKind.Opened);
            Assert.True(group.Count(s => s.Kind == DutyChangeKind.Closed) <= 1, "a duty closed twice");
            Assert.True(group.Count(s => s.Kind == DutyChangeKind.Breached) <= 1, "a duty breached twice");
            var ordered = group.Select(s => s.Kind).ToList();
            Assert.Equal(DutyChangeKind.Opened, ordered[0]);
            if (ordered.Contains(DutyChangeKind.Closed)) Assert.Equal(DutyChangeKind.Closed, ordered[^1]);
            var final = referral.DutyOf(group.Key.Deadline, group.Key.Step)!;
            Assert.Equal(final, group.Last().Duty); // the last step is the duty's state
            if (final.IsBreached) Assert.True(final.BreachedAt >= final.DueAt);
        }
        Assert.Equal(referral.Duties.Count, steps.Select(s => s.Duty.Key).Distinct().Count());
        // Protocol steps: each recorded once, by the receiver; a referral completed as provided had its mandatory step done.
        Assert.Equal(referral.StepsDone.Count, referral.StepsDone.Select(d => d.Code).Distinct().Count());
        Assert.All(referral.StepsDone, d => Assert.Equal(ReceiverOrg, d.OrganisationId));
        if (referral.Status == Completed) Assert.Contains(referral.StepsDone, d => d.Code == "intake");
        if (referral.DutyOf(DeadlineKind.Step, "advice") is { IsOpen: false } advice && referral.StepsDone.Any(d => d.Code == "advice"))
            Assert.Equal(DutyClosure.Met, advice.ClosedBasis);
        // The trail as the steps would have stored it: contiguous, and Restore refuses anything else.
        var restored = ResponsibilityTrail.Restore(referral.Trail.Periods, referral.Status);
        Assert.Equal(referral.Trail.Periods, restored.Periods);
        for (var i = 1; i < referral.Trail.Periods.Count; i++) Assert.Equal(referral.Trail.Periods[i - 1].Until, referral.Trail.Periods[i].From);
        Assert.Equal(changes.Count, changes.Select(c => c.ExpectedVersion).Count());
    }

    private static ReferralChange? TryAct(Referral referral, int choice, Party party, DateTimeOffset at)
    {
        var allowed = ReferralStateMachine.AllowedActions(referral.Status, party);
        if (allowed.Count == 0) return null;
        var action = allowed[choice % allowed.Count];
        var outcome = action == ReferralAction.Complete ? Enum.GetValues<CompletionOutcome>()[choice % Enum.GetValues<CompletionOutcome>().Length] : (CompletionOutcome?)null;
        try
        {
            return referral.Act(action, party, ActorOf(party), at, outcome, action == ReferralAction.Decline ? DeclineReason.Other : null, FollowUp, LifeSteps);
        }
        catch (DomainRuleException refused) when (refused.Rule == StepRules.StepsMissing)
        {
            Assert.DoesNotContain(referral.StepsDone, d => d.Code == "intake");
            return null;
        }
    }

    private static ReferralChange? TryRecordStep(Referral referral, string code, Party party, DateTimeOffset at)
    {
        try
        {
            return referral.RecordStep(code, LifeSteps, party, ActorOf(party), null, at);
        }
        catch (Exception e) when (e is DomainConflictException or DomainForbiddenException)
        {
            return null;
        }
    }
}
