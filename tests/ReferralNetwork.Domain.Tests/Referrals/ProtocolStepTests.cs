using ReferralNetwork.Domain.Deadlines;
using ReferralNetwork.Domain.Protocols;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Domain.Tests.Referrals;

/// <summary>Issue 23: which steps apply to a referral, the completion rule, step duties and the reader's language.</summary>
public sealed class ProtocolStepTests
{
    private static readonly Guid ReferrerOrg = Guid.Parse("0190b000-0000-7000-8000-000000000011");
    private static readonly Guid ReceiverOrg = Guid.Parse("0190b000-0000-7000-8000-000000000012");
    private static readonly Actor Referrer = new(ReferrerOrg, Guid.Parse("0190b000-0000-7000-8000-0000000000d1"));
    private static readonly Actor Receiver = new(ReceiverOrg, Guid.Parse("0190b000-0000-7000-8000-0000000000d2"));
    private static readonly DateTimeOffset T0 = new(2026, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private static ProtocolStep Step(string code, bool mandatory = true, string? due = null, params string[] services) => new()
    {
        Code = code, Title = new Dictionary<string, string> { ["sr-Latn"] = $"{code} (sr)", ["en"] = $"{code} (en)" }, Mandatory = mandatory, Due = due, Services = services,
    };

    private static readonly ProtocolDocument Document = new()
    {
        Code = "p", Title = "P", Deadlines = new Dictionary<string, DeadlineSet>(),
        Steps = [Step("guardian", services: ["guardianship"]), Step("health", services: ["healthcare", "guardianship"]), Step("any", mandatory: false, due: "PT1H")],
    };

    private static Referral Accepted(IReadOnlyList<ProtocolStep> steps, out DateTimeOffset acceptedAt)
    {
        var referral = Referral.Submit(new Submission
        {
            Id = Guid.CreateVersion7(), Referrer = ReferrerOrg, Receiver = ReceiverOrg, PersonId = Guid.CreateVersion7(), ProtocolCode = "p", ProtocolVersion = 1,
            Urgency = "urgent", Services = ["guardianship"], Acknowledge = TimeSpan.FromHours(1), Decide = TimeSpan.FromHours(2),
        }, Referrer, T0).Referral;
        acceptedAt = T0.AddMinutes(10);
        referral.Act(ReferralAction.Accept, Party.Receiver, Receiver, acceptedAt, followUp: TimeSpan.FromDays(7), steps: steps);
        return referral;
    }

    [Fact]
    public void A_step_applies_to_every_service_when_it_names_none_and_otherwise_to_referrals_asking_for_one_of_its_services()
    {
        Assert.Equal(["guardian", "health", "any"], Document.StepsFor(["guardianship"]).Select(s => s.Code));
        Assert.Equal(["health", "any"], Document.StepsFor(["healthcare"]).Select(s => s.Code));
        Assert.Equal(["any"], Document.StepsFor(["legal_aid"]).Select(s => s.Code));
    }

    [Fact]
    public void Completing_as_provided_needs_every_mandatory_step_and_the_failed_outcomes_do_not()
    {
        var steps = Document.StepsFor(["guardianship"]);
        var referral = Accepted(steps, out var at);
        foreach (var outcome in (CompletionOutcome[])[CompletionOutcome.ServiceProvided, CompletionOutcome.PartiallyProvided])
        {
            var refused = Assert.Throws<DomainRuleException>(() => referral.Act(ReferralAction.Complete, Party.Receiver, Receiver, at.AddMinutes(1), outcome, steps: steps));
            Assert.Equal(StepRules.StepsMissing, refused.Rule);
            Assert.Equal(["guardian", "health"], (IEnumerable<string>)refused.Details["missingSteps"]!);
        }
        Assert.Equal(ReferralStatus.Accepted, referral.Status);

        referral.RecordStep("guardian", steps, Party.Receiver, Receiver, null, at.AddMinutes(2));
        var stillMissing = Assert.Throws<DomainRuleException>(() =>
            referral.Act(ReferralAction.Complete, Party.Receiver, Receiver, at.AddMinutes(3), CompletionOutcome.ServiceProvided, steps: steps));
        Assert.Equal(["health"], (IEnumerable<string>)stillMissing.Details["missingSteps"]!);
        referral.RecordStep("health", steps, Party.Receiver, Receiver, null, at.AddMinutes(4));
        Assert.Equal(ReferralStatus.Completed, referral.Act(ReferralAction.Complete, Party.Receiver, Receiver, at.AddMinutes(5), CompletionOutcome.ServiceProvided,
            steps: steps).Referral.Status);

        var failing = Accepted(steps, out var at2);
        Assert.Equal(ReferralStatus.Failed, failing.Act(ReferralAction.Complete, Party.Receiver, Receiver, at2.AddMinutes(1), CompletionOutcome.LostContact,
            steps: steps).Referral.Status);
    }

    [Fact]
    public void Only_the_receiver_records_a_known_step_once_and_a_step_with_due_is_its_duty_from_acceptance()
    {
        var steps = Document.StepsFor(["guardianship"]);
        var referral = Accepted(steps, out var at);
        var duty = referral.DutyOf(DeadlineKind.Step, "any")!;
        Assert.Equal((ReceiverOrg, at.AddHours(1)), (duty.HolderOrganisationId, duty.DueAt));
        Assert.Null(referral.DutyOf(DeadlineKind.Step, "guardian"));

        Assert.Throws<DomainForbiddenException>(() => referral.RecordStep("any", steps, Party.Referrer, Referrer, null, at));
        Assert.Throws<DomainConflictException>(() => referral.RecordStep("nothing", steps, Party.Receiver, Receiver, null, at));
        var missed = referral.MissDeadline(DeadlineKind.Step, at.AddHours(2), null, "any")!;
        Assert.Equal("step:any", missed.Timeline!.Code);
        var change = referral.RecordStep("any", steps, Party.Receiver, Receiver, Guid.CreateVersion7(), at.AddHours(3));
        Assert.Equal(ReferralEvents.StepDone, change.EventType);
        Assert.Equal([(DeadlineKind.Step, "any", DutyChangeKind.Closed)], change.Duties.Select(d => (d.Duty.Deadline, d.Duty.Step, d.Kind)));
        Assert.Equal(7200L, change.Timeline!.LateBySeconds);
        Assert.Equal("any", change.StepDone!.Code);
        Assert.Throws<DomainConflictException>(() => referral.RecordStep("any", steps, Party.Receiver, Receiver, null, at.AddHours(4)));
    }

    [Theory]
    [InlineData(null, "en")]
    [InlineData("sr-Latn-RS", "sr-Latn")]
    [InlineData("sr", "sr-Latn")]
    [InlineData("sr-Cyrl", "sr-Cyrl")]
    [InlineData("de-DE, sr-Cyrl;q=0.8", "sr-Cyrl")]
    [InlineData("fr", "en")]
    public void The_readers_language_comes_from_accept_language(string? header, string expected) =>
        Assert.Equal(expected, StepLanguages.FromAcceptLanguage(header));

    [Fact]
    public void A_missing_translation_falls_back_to_the_same_language_then_english()
    {
        var texts = new Dictionary<string, string> { ["sr-Latn"] = "Prijem", ["en"] = "Intake" };
        Assert.Equal("Prijem", StepLanguages.Pick(texts, StepLanguages.SerbianCyrillic));
        Assert.Equal("Intake", StepLanguages.Pick(new Dictionary<string, string> { ["en"] = "Intake" }, StepLanguages.SerbianCyrillic));
        Assert.Equal("Intake", StepLanguages.Pick(texts, StepLanguages.English));
    }
}
