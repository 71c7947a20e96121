using CsCheck;
using ReferralNetwork.Application.Features.Audit;
using ReferralNetwork.Infrastructure.Audit;

namespace ReferralNetwork.Api.Tests.Audit;

/// <summary>
/// The replay that verify runs, without a database: event data written the way the write path serialises it
/// (docs/accountability-events.md), folded into the rows the projection tables must hold, then compared with rows.
/// </summary>
public sealed class ProjectionReplayTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
    private static readonly Guid Referrer = Guid.CreateVersion7(), Receiver = Guid.CreateVersion7();
    private const string Stream = "referral/0193a1b2-0000-7000-8000-000000000001";

    private static string Data(List<Dictionary<string, object?>>? responsibility = null, List<Dictionary<string, object?>>? duties = null,
        Dictionary<string, object?>? extra = null)
    {
        var data = new Dictionary<string, object?>(extra ?? []) { ["referralId"] = Guid.Empty };
        if (responsibility is not null) data["responsibility"] = responsibility;
        if (duties is not null) data["duties"] = duties;
        return CanonicalJson.Text(CanonicalJson.ToNode(data));
    }

    private static Dictionary<string, object?> Period(string change, int seq, Guid organisation, string basis, DateTimeOffset at) =>
        new() { ["change"] = change, ["seq"] = seq, ["organisationId"] = organisation, ["basis"] = basis, ["at"] = at };

    private static Dictionary<string, object?> Duty(string deadline, string change, Guid holder, DateTimeOffset due, DateTimeOffset at, string? basis = null,
        Guid? responsible = null)
    {
        var duty = new Dictionary<string, object?> { ["deadline"] = deadline, ["change"] = change, ["holderOrganisationId"] = holder, ["dueAt"] = due, ["at"] = at };
        if (basis is not null) duty["basis"] = basis;
        if (responsible is not null) duty["responsibleOrganisationId"] = responsible;
        return duty;
    }

    private static string Submitted(DateTimeOffset at) => Data([Period("opened", 1, Referrer, "submitted", at)],
        [Duty("acknowledge", "opened", Receiver, at.AddSeconds(2), at), Duty("decide", "opened", Receiver, at.AddSeconds(5), at)],
        new() { ["protocolCode"] = "fast", ["protocolVersion"] = 3, ["referrerOrganisationId"] = Referrer, ["receiverOrganisationId"] = Receiver });

    [Fact]
    public void Submission_opens_the_referrers_period_and_the_receivers_duties()
    {
        var replay = new ProjectionReplay();
        replay.Apply(1, "referral.submitted", Submitted(T0));

        Assert.Empty(replay.Problems);
        Assert.Equal([new PeriodProjection(1, Referrer, T0, null, "submitted", null)], replay.Periods);
        Assert.Equal([
            new DutyProjection("acknowledge", Receiver, T0, T0.AddSeconds(2), null, null, null),
            new DutyProjection("decide", Receiver, T0, T0.AddSeconds(5), null, null, null),
        ], replay.Duties);
        Assert.Empty(replay.Breaches);
        Assert.Equal(1, replay.LastEventOf(ProjectionTable.ResponsibilityPeriods, "1"));
        Assert.Equal(1, replay.LastEventOf(ProjectionTable.ReferralDuties, "decide"));
    }

    [Fact]
    public void A_handover_closes_one_period_and_opens_the_next_at_the_same_instant()
    {
        var replay = new ProjectionReplay();
        var accepted = T0.AddSeconds(1);
        replay.Apply(1, "referral.submitted", Submitted(T0));
        replay.Apply(2, "referral.accepted", Data(
            [Period("closed", 1, Referrer, "accepted", accepted), Period("opened", 2, Receiver, "accepted", accepted)],
            [Duty("acknowledge", "closed", Receiver, T0.AddSeconds(2), accepted, basis: "met"), Duty("decide", "closed", Receiver, T0.AddSeconds(5), accepted, basis: "met")]));
        replay.Apply(3, "referral.note_added", Data());

        Assert.Empty(replay.Problems);
        Assert.Equal([
            new PeriodProjection(1, Referrer, T0, accepted, "submitted", "accepted"),
            new PeriodProjection(2, Receiver, accepted, null, "accepted", null),
        ], replay.Periods);
        Assert.All(replay.Duties, d => Assert.Equal((accepted, "met"), (d.ClosedAt!.Value, d.ClosedBasis!)));
        Assert.Equal(2, replay.LastEventOf(ProjectionTable.ResponsibilityPeriods, "1"));
        Assert.Null(replay.LastEventOf(ProjectionTable.ResponsibilityPeriods, "3"));
    }

    [Fact]
    public void A_breach_takes_the_protocol_from_the_submission_and_its_acted_at_from_the_late_closing()
    {
        var replay = new ProjectionReplay();
        var detected = T0.AddSeconds(3);
        var acted = T0.AddSeconds(9);
        replay.Apply(1, "referral.submitted", Submitted(T0));
        replay.Apply(2, "referral.deadline_missed", Data(duties: [Duty("acknowledge", "breached", Receiver, T0.AddSeconds(2), detected, responsible: Referrer)]));

        Assert.Equal([new BreachProjection("acknowledge", Receiver, Referrer, T0.AddSeconds(2), detected, null, "fast", 3)], replay.Breaches);
        Assert.Equal(detected, replay.Duties.Single(d => d.Deadline == "acknowledge").BreachedAt);

        replay.Apply(3, "referral.received", Data(duties: [Duty("acknowledge", "closed", Receiver, T0.AddSeconds(2), acted, basis: "met")]));

        Assert.Empty(replay.Problems);
        Assert.Equal(acted, replay.Breaches.Single().ActedAt);
        Assert.Equal(new DutyProjection("acknowledge", Receiver, T0, T0.AddSeconds(2), acted, "met", detected), replay.Duties.First());
        Assert.Equal(3, replay.LastEventOf(ProjectionTable.DeadlineBreaches, "acknowledge"));
    }

    [Fact]
    public void A_discharged_duty_closes_without_a_breach()
    {
        var replay = new ProjectionReplay();
        replay.Apply(1, "referral.submitted", Submitted(T0));
        replay.Apply(2, "referral.cancelled", Data(duties: [Duty("decide", "closed", Receiver, T0.AddSeconds(5), T0.AddSeconds(1), basis: "discharged")]));

        Assert.Empty(replay.Problems);
        Assert.Empty(replay.Breaches);
        Assert.Equal("discharged", replay.Duties.Single(d => d.Deadline == "decide").ClosedBasis);
    }

    [Fact]
    public void A_stream_without_a_submission_event_leaves_the_breach_without_a_protocol()
    {
        var replay = new ProjectionReplay();
        replay.Apply(1, "referral.review_opened", Data(duties: [Duty("review", "opened", Referrer, T0.AddSeconds(2), T0)]));
        replay.Apply(2, "referral.deadline_missed", Data(duties: [Duty("review", "breached", Referrer, T0.AddSeconds(2), T0.AddSeconds(3), responsible: Referrer)]));

        var breach = replay.Breaches.Single();
        Assert.Null(breach.ProtocolCode);
        Assert.Null(breach.ProtocolVersion);
    }

    [Fact]
    public void Times_are_kept_to_the_microsecond()
    {
        var at = T0.AddTicks(1234567); // 0.1234567 s: the 7th digit is below what the engines store
        var replay = new ProjectionReplay();
        replay.Apply(1, "referral.submitted", Data([Period("opened", 1, Referrer, "submitted", at.ToOffset(TimeSpan.FromHours(2)))]));

        Assert.Equal(T0.AddTicks(1234560), replay.Periods.Single().From);
        Assert.Equal(TimeSpan.Zero, replay.Periods.Single().From.Offset);
    }

    public static TheoryData<string, string> Unfoldable => new()
    {
        { Data([Period("opened", 1, Referrer, "submitted", T0)]), "opens period 1 a second time" },
        { Data([Period("closed", 2, Referrer, "accepted", T0)]), "closes period 2, which is not open" },
        { Data([new Dictionary<string, object?> { ["change"] = "moved", ["seq"] = 1 }]), "is not a responsibility change" },
        { Data(duties: [Duty("decide", "opened", Receiver, T0, T0)]), "opens the decide duty a second time" },
        { Data(duties: [Duty("review", "closed", Referrer, T0, T0, basis: "met")]), "closes the review duty, which is not open" },
        { Data(duties: [Duty("decide", "closed", Receiver, T0, T0)]), "without a basis" },
        { Data(duties: [Duty("decide", "breached", Receiver, T0, T0)]), "without naming the responsibleOrganisationId" },
        { Data(duties: [Duty("decide", "settled", Receiver, T0, T0)]), "is not a duty change" },
        { """{"responsibility":{"change":"opened"}}""", "is not a list of changes" },
        { """{"responsibility":[""", "is not JSON" },
        { "[]", "is not a JSON object" },
    };

    [Theory]
    [MemberData(nameof(Unfoldable))]
    public void A_change_that_cannot_apply_is_a_problem_at_its_event_and_changes_nothing(string data, string expected)
    {
        var replay = new ProjectionReplay();
        replay.Apply(1, "referral.submitted", Submitted(T0));
        var before = (replay.Periods.ToList(), replay.Duties.ToList(), replay.Breaches.ToList());

        replay.Apply(2, "referral.accepted", data);

        var problem = Assert.Single(replay.Problems);
        Assert.Equal(2, problem.Seq);
        Assert.Contains(expected, problem.Detail);
        Assert.Equal(before.Item1, replay.Periods);
        Assert.Equal(before.Item2, replay.Duties);
        Assert.Equal(before.Item3, replay.Breaches);
    }

    [Fact]
    public void A_second_breach_of_one_duty_is_a_problem()
    {
        var replay = new ProjectionReplay();
        replay.Apply(1, "referral.submitted", Submitted(T0));
        var breached = Data(duties: [Duty("decide", "breached", Receiver, T0.AddSeconds(5), T0.AddSeconds(6), responsible: Referrer)]);
        replay.Apply(2, "referral.deadline_missed", breached);
        replay.Apply(3, "referral.deadline_missed", breached);

        Assert.Contains("already breached", Assert.Single(replay.Problems).Detail);
        Assert.Single(replay.Breaches);
    }

    // ---- comparison with the stored rows ----

    private static ProjectionReplay Replayed()
    {
        var replay = new ProjectionReplay();
        replay.Apply(1, "referral.submitted", Submitted(T0));
        replay.Apply(2, "referral.deadline_missed", Data(duties: [Duty("acknowledge", "breached", Receiver, T0.AddSeconds(2), T0.AddSeconds(3), responsible: Referrer)]));
        replay.Apply(3, "referral.accepted", Data([Period("closed", 1, Referrer, "accepted", T0.AddSeconds(4)), Period("opened", 2, Receiver, "accepted", T0.AddSeconds(4))],
            [Duty("acknowledge", "closed", Receiver, T0.AddSeconds(2), T0.AddSeconds(4), basis: "met"), Duty("decide", "closed", Receiver, T0.AddSeconds(5), T0.AddSeconds(4), basis: "met")]));
        Assert.Empty(replay.Problems);
        return replay;
    }

    private static StoredProjections StoredAsReplayed(ProjectionReplay replay)
    {
        var stored = new StoredProjections();
        stored.Periods.AddRange(replay.Periods.Reverse());
        stored.Duties.AddRange(replay.Duties);
        stored.Breaches.AddRange(replay.Breaches);
        return stored;
    }

    [Fact]
    public void Rows_equal_to_the_replay_agree_in_any_order()
    {
        var replay = Replayed();
        Assert.Empty(ProjectionComparison.Compare(Stream, replay, StoredAsReplayed(replay)));
    }

    [Fact]
    public void An_edited_period_is_one_mismatch_naming_the_table_the_row_and_each_field()
    {
        var replay = Replayed();
        var stored = StoredAsReplayed(replay);
        var first = stored.Periods.Single(p => p.Seq == 1);
        stored.Periods[stored.Periods.IndexOf(first)] = first with { OrganisationId = Receiver, Until = T0.AddSeconds(40) };

        var problem = Assert.Single(ProjectionComparison.Compare(Stream, replay, stored));
        Assert.Equal(AuditBreakReasons.ProjectionMismatch, problem.Reason);
        Assert.Equal(Stream, problem.StreamId);
        Assert.Equal(3, problem.Seq); // the event that last changed the period: the acceptance closed it
        Assert.StartsWith("responsibility_periods seq 1 disagrees", problem.Detail);
        Assert.Contains($"organisation_id is {Receiver} in the table, {Referrer} by the events", problem.Detail);
        Assert.Contains("until_at is 2026-11-02T08:00:40.000000Z in the table, 2026-11-02T08:00:04.000000Z by the events", problem.Detail);
        Assert.DoesNotContain("from_at", problem.Detail);
    }

    [Fact]
    public void A_deleted_breach_and_a_deleted_duty_are_missing_rows()
    {
        var replay = Replayed();
        var stored = StoredAsReplayed(replay);
        stored.Breaches.Clear();
        stored.Duties.RemoveAll(d => d.Deadline == "decide");

        var problems = ProjectionComparison.Compare(Stream, replay, stored).ToList();
        Assert.Equal(2, problems.Count);
        Assert.Equal("referral_duties deadline decide is missing: the events made it, the table does not hold it.", problems[0].Detail);
        Assert.Equal(3, problems[0].Seq);
        Assert.StartsWith("deadline_breaches deadline acknowledge is missing", problems[1].Detail);
        Assert.Equal(3, problems[1].Seq);
    }

    [Fact]
    public void A_row_no_event_made_and_a_duplicated_row_are_reported()
    {
        var replay = Replayed();
        var stored = StoredAsReplayed(replay);
        stored.Breaches.Add(new BreachProjection("decide", Receiver, Referrer, T0, T0, null, "fast", 3));
        stored.Periods.Add(stored.Periods[0]);

        var problems = ProjectionComparison.Compare(Stream, replay, stored).Select(p => (p.Seq, p.Detail)).ToList();
        Assert.Equal([
            (3L, "responsibility_periods holds seq 2 twice for this referral."),
            (null, "deadline_breaches deadline decide is in the table, but no event of the stream made it."),
        ], problems);
    }

    [Fact]
    public void Replay_problems_come_first_at_their_events()
    {
        var replay = new ProjectionReplay();
        replay.Apply(1, "referral.submitted", "not json");
        var problems = ProjectionComparison.Compare(Stream, replay, new StoredProjections()).ToList();
        Assert.Equal(1, Assert.Single(problems).Seq);
        Assert.StartsWith("The events cannot be replayed", problems[0].Detail);
    }

    [Fact]
    public void Any_trail_of_handovers_replays_into_periods_without_gaps_and_a_changed_field_is_always_caught()
    {
        // Property: a chain of n handovers (each closing the open period and opening the next at one instant) replays
        // into n + 1 contiguous periods; changing any one stored field of any one period gives exactly one mismatch.
        Gen.Select(Gen.Int[1, 12], Gen.Int[0, 1000], Gen.Int[0, 4]).Sample((handovers, seed, field) =>
        {
            var random = new Random(seed);
            var replay = new ProjectionReplay();
            var organisations = new[] { Referrer, Receiver, Guid.CreateVersion7() };
            var at = T0;
            var holder = 0;
            replay.Apply(1, "referral.submitted", Data([Period("opened", 1, organisations[0], "submitted", at)]));
            for (var i = 1; i <= handovers; i++)
            {
                at = at.AddTicks(random.Next(1, 10_000_000));
                var next = (holder + 1 + random.Next(2)) % 3;
                replay.Apply(i + 1, "referral.accepted", Data([Period("closed", i, organisations[holder], "accepted", at), Period("opened", i + 1, organisations[next], "accepted", at)]));
                holder = next;
            }
            var periods = replay.Periods.ToList();
            Assert.Empty(replay.Problems);
            Assert.Equal(handovers + 1, periods.Count);
            for (var i = 1; i < periods.Count; i++) Assert.Equal(periods[i - 1].Until, periods[i].From);
            Assert.Null(periods[^1].Until);

            var stored = StoredAsReplayed(replay);
            var victim = stored.Periods[random.Next(stored.Periods.Count)];
            stored.Periods[stored.Periods.IndexOf(victim)] = field switch
            {
                0 => victim with { OrganisationId = Guid.CreateVersion7() },
                1 => victim with { From = victim.From.AddTicks(10) },
                2 => victim with { Until = (victim.Until ?? T0).AddTicks(-10) },
                3 => victim with { Basis = victim.Basis + "x" },
                _ => victim with { ClosedBasis = "forged" },
            };
            var problem = Assert.Single(ProjectionComparison.Compare(Stream, replay, stored));
            Assert.StartsWith($"responsibility_periods seq {victim.Seq} disagrees", problem.Detail);
        }, iter: 200);
    }
}
