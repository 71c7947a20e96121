using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Application.Features.Protocols;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Deadlines;
using ReferralNetwork.Domain.Protocols;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

public sealed record ReferralRow
{
    public Guid Id { get; init; }
    public string Status { get; init; } = "";
    public Guid ReferrerOrganisationId { get; init; }
    public Guid ReceiverOrganisationId { get; init; }
    public Guid ResponsibleOrganisationId { get; init; }
    public Guid PersonId { get; init; }
    public string ProtocolCode { get; init; } = "";
    public int ProtocolVersion { get; init; }
    public string Urgency { get; init; } = "";
    public string Services { get; init; } = "";
    public DateTimeOffset? AcknowledgeBy { get; init; }
    public DateTimeOffset? DecideBy { get; init; }
    public DateTimeOffset? FollowUpBy { get; init; }
    public DateTimeOffset? ReviewBy { get; init; }
    public bool Overdue { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public int Version { get; init; }
    public byte[]? ReasonSealed { get; init; }
    public Guid? PartOf { get; init; }
    public string? Outcome { get; init; }
    public string? DeclineReason { get; init; }
    public Guid? OnwardReferralId { get; init; }
    public string? OnwardStatus { get; init; }
    public Guid? OnwardReceiverOrganisationId { get; init; }
    public string? ConsentBasis { get; init; }
    public string? OverrideStatus { get; init; }
    public Guid? OverrideSubmittedBy { get; init; }
    public Guid? OverrideReviewedBy { get; init; }
    public DateTimeOffset? OverrideReviewedAt { get; init; }
    public Guid? ReferrerAssigneeId { get; init; }
    public Guid? ReceiverAssigneeId { get; init; }
    public string? Reference { get; init; }
    public DateTimeOffset? NextDueAt { get; init; }

    // The onward referral of a redirected one (at most one: redirect is final) comes along as scalar subqueries, so the
    // original referrer sees where the person went without being able to open the onward referral itself.
    public const string Columns = """
        r.id, r.status, r.referrer_organisation_id AS ReferrerOrganisationId, r.receiver_organisation_id AS ReceiverOrganisationId,
        r.responsible_organisation_id AS ResponsibleOrganisationId, r.person_id AS PersonId, r.protocol_code AS ProtocolCode,
        r.protocol_version AS ProtocolVersion, r.urgency, r.services, r.acknowledge_by AS AcknowledgeBy, r.decide_by AS DecideBy,
        r.follow_up_by AS FollowUpBy, r.review_by AS ReviewBy, r.overdue, r.created_at AS CreatedAt, r.updated_at AS UpdatedAt, r.version,
        r.reason_sealed AS ReasonSealed, r.part_of AS PartOf, r.outcome, r.decline_reason AS DeclineReason,
        r.consent_basis AS ConsentBasis, r.override_status AS OverrideStatus, r.override_submitted_by AS OverrideSubmittedBy,
        r.override_reviewed_by AS OverrideReviewedBy, r.override_reviewed_at AS OverrideReviewedAt,
        r.referrer_assignee_id AS ReferrerAssigneeId, r.receiver_assignee_id AS ReceiverAssigneeId, r.reference, r.next_due_at AS NextDueAt,
        (SELECT o.id FROM referrals o WHERE o.part_of = r.id) AS OnwardReferralId,
        (SELECT o.status FROM referrals o WHERE o.part_of = r.id) AS OnwardStatus,
        (SELECT o.receiver_organisation_id FROM referrals o WHERE o.part_of = r.id) AS OnwardReceiverOrganisationId
        """;

    /// <summary>The visibility rule, written once: referrer, receiver, or an observer of the referral.</summary>
    public const string VisibleTo = """
        (r.referrer_organisation_id = @Org OR r.receiver_organisation_id = @Org
         OR EXISTS (SELECT 1 FROM referral_observers ro WHERE ro.referral_id = r.id AND ro.organisation_id = @Org))
        """;

    public string ETag => ReferralETag.Of(Version);

    public string RelationOf(Guid organisationId) => PartyOf(organisationId).Code();

    /// <summary>
    /// True for an organisation that is neither referrer nor receiver: in the escalated box it sees the escalation view
    /// (an observer that is also the escalation target sees the narrower one there, and its observer view elsewhere).
    /// </summary>
    public bool IsEscalationOnly(Guid organisationId) => organisationId != ReferrerOrganisationId && organisationId != ReceiverOrganisationId;

    /// <summary>The side of this referral an organisation that can see it is on.</summary>
    public Party PartyOf(Guid organisationId) =>
        organisationId == ReferrerOrganisationId ? Party.Referrer : organisationId == ReceiverOrganisationId ? Party.Receiver : Party.Observer;
}

/// <summary>Reads referrals through the visibility rule: what the caller's organisation may not see does not exist.</summary>
public sealed class ReferralReader(IDbSession session, PersonStore persons, IPersonalDataProtector protector, ProtocolStore protocols, ReaderLanguage language)
{
    public async Task<ReferralRow?> FindVisibleAsync(Guid id, Guid organisationId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ReferralRow>(new CommandDefinition(
            $"SELECT {ReferralRow.Columns} FROM referrals r WHERE r.id = @Id AND {ReferralRow.VisibleTo}",
            new { Id = id, Org = organisationId }, session.Transaction, cancellationToken: ct));
    }

    public async Task<ReferralView> ViewAsync(ReferralRow row, Guid organisationId, CancellationToken ct)
    {
        var person = await persons.FindAsync(row.PersonId, ct) ?? throw new InvalidOperationException($"Referral {row.Id} has no person.");
        var relation = row.RelationOf(organisationId);
        string? reason = null;
        if (relation != "observer" && row.ReasonSealed is not null)
        {
            var key = persons.DataKeyOf(person);
            reason = key is null ? null : protector.Open(key, row.ReasonSealed, $"referral:{row.Id}:reason");
        }
        return ToView(row, person.ToSummary(), relation, reason);
    }

    public static ReferralView ToView(ReferralRow row, PersonSummary person, string relation, string? reason) => new(
        row.Id, row.Status, row.ReferrerOrganisationId, row.ReceiverOrganisationId, row.ResponsibleOrganisationId, row.ProtocolCode,
        row.ProtocolVersion, row.Urgency, row.Services.Split(',', StringSplitOptions.RemoveEmptyEntries),
        new DeadlinesView(row.AcknowledgeBy, row.DecideBy, row.FollowUpBy, row.ReviewBy), row.Overdue, row.CreatedAt, row.UpdatedAt,
        row.Version, person, reason, row.PartOf, relation, relation == EscalationRelation ? [] : ReferralActions.AllowedFor(row, relation), row.Outcome, row.DeclineReason,
        row.OnwardReferralId is { } onward ? new OnwardReferralView(onward, row.OnwardStatus!, row.OnwardReceiverOrganisationId!.Value) : null,
        row.ConsentBasis ?? (row.OverrideStatus is null ? "consent" : "emergency_override"),
        row.OverrideStatus is null ? null : new OverrideView(row.OverrideStatus, row.ReviewBy, row.OverrideSubmittedBy, row.OverrideReviewedBy, row.OverrideReviewedAt))
    {
        Assignees = new AssigneesView(row.ReferrerAssigneeId, row.ReceiverAssigneeId), Reference = row.Reference, NextDueAt = row.NextDueAt,
    };

    /// <summary>The relation of an organisation that sees a referral only because its missed deadlines were escalated to it.</summary>
    public const string EscalationRelation = "escalation";

    /// <summary>
    /// What the escalation target sees (issue 13 item 7): status, parties, deadlines — never identity (no initials), reason
    /// or notes, and no action to take on the referral itself.
    /// </summary>
    public static ReferralView ToEscalationView(ReferralRow row, PersonSummary person) =>
        ToView(row, person with { Initials = null }, EscalationRelation, reason: null) with { AllowedActions = [] };

    /// <summary>
    /// A referral as the write path left it (or as loaded), as <paramref name="organisationId"/> sees it: with its duties.
    /// The onward referral of a redirected one is read (it exists only after a redirect).
    /// </summary>
    public async Task<ReferralView> ViewAsync(LoadedReferral loaded, Guid organisationId, DateTimeOffset now, CancellationToken ct, OnwardReferralView? onward = null)
    {
        var referral = loaded.Referral;
        var s = referral.State;
        var party = referral.PartyOf(organisationId) ?? Party.Observer;
        string? reason = null;
        if (party != Party.Observer && loaded.ReasonSealed is not null && persons.DataKeyOf(loaded.Person) is { } key)
            reason = protector.Open(key, loaded.ReasonSealed, $"referral:{s.Id}:reason");
        if (onward is null && s.Status == ReferralStatus.Redirected)
        {
            var connection = await session.ConnectionAsync(ct);
            onward = (await connection.QueryAsync<(Guid Id, string Status, Guid Receiver)>(new CommandDefinition(
                "SELECT id, status, receiver_organisation_id FROM referrals WHERE part_of = @Id", new { s.Id }, session.Transaction, cancellationToken: ct)))
                .Select(o => new OnwardReferralView(o.Id, o.Status, o.Receiver)).FirstOrDefault();
        }
        Duty? Due(DeadlineKind kind) => referral.DutyOf(kind);
        return new ReferralView(s.Id, s.Status.Code(), s.Referrer, s.Receiver, referral.Responsible, s.ProtocolCode, s.ProtocolVersion, s.Urgency, s.Services,
            new DeadlinesView(Due(DeadlineKind.Acknowledge)?.DueAt, Due(DeadlineKind.Decide)?.DueAt, Due(DeadlineKind.FollowUp)?.DueAt, Due(DeadlineKind.Review)?.DueAt),
            s.Overdue, s.CreatedAt, s.UpdatedAt, s.Version, loaded.Person.ToSummary(), reason, s.PartOf, party.Code(),
            ReferralStateMachine.AllowedActions(s.Status, party).Select(a => a.Code()).ToList(), s.Outcome, s.DeclineReason, onward, s.ConsentBasis.Code(),
            s.Override is { } o ? new OverrideView(o.Status.Code(), Due(DeadlineKind.Review)?.DueAt, o.SubmittedBy, o.ReviewedBy, o.ReviewedAt) : null,
            referral.Duties.Select(d => new DutyView(d.Deadline.Code(), d.HolderOrganisationId, d.DueAt, d.ClosedAt, d.ClosedBasis, d.BreachedAt,
                d.LateBySeconds(d.ClosedAt ?? now)) { Step = d.Step }).ToList(),
            await StepsAsync(loaded, party, ct)) { Assignees = new AssigneesView(s.ReferrerAssignee, s.ReceiverAssignee), Reference = s.Reference, NextDueAt = ReferralRepository.NextDueOf(referral) };
    }

    /// <summary>The pinned protocol's steps for this referral's services, as done so far, in the reader's language.</summary>
    private async Task<IReadOnlyList<StepView>> StepsAsync(LoadedReferral loaded, Party party, CancellationToken ct)
    {
        var referral = loaded.Referral;
        var protocol = await protocols.VersionAsync(referral.State.ProtocolCode, referral.State.ProtocolVersion, ct);
        var steps = protocol?.Document.StepsFor(referral.State.Services) ?? [];
        if (steps.Count == 0) return [];
        var notes = new Dictionary<Guid, string?>();
        var noteIds = referral.StepsDone.Where(d => d.NoteId is not null).Select(d => d.NoteId!.Value).ToList();
        if (party != Party.Observer && noteIds.Count > 0 && persons.DataKeyOf(loaded.Person) is { } key)
        {
            var connection = await session.ConnectionAsync(ct);
            var rows = await connection.QueryAsync<(Guid Id, byte[]? Body)>(new CommandDefinition(
                "SELECT id, body_sealed FROM referral_notes WHERE referral_id = @Id", new { referral.Id }, session.Transaction, cancellationToken: ct));
            foreach (var (id, body) in rows.Where(r => noteIds.Contains(r.Id)))
                notes[id] = body is null ? null : protector.Open(key, body, $"note:{id}");
        }
        return steps.Select(step =>
        {
            var done = referral.StepsDone.FirstOrDefault(d => d.Code == step.Code);
            return new StepView(step.Code, StepLanguages.Pick(step.Title, language.Language) ?? step.Code, StepLanguages.Pick(step.Guidance, language.Language),
                step.LegalBasis, step.Mandatory, step.Due, referral.DutyOf(DeadlineKind.Step, step.Code)?.DueAt, done?.DoneAt, done?.OrganisationId,
                done?.NoteId is { } note ? notes.GetValueOrDefault(note) : null);
        }).ToList();
    }
}
