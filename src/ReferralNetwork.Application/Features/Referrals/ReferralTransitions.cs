using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Application.Features.Protocols;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Protocols;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>What one action asks for; <see cref="ReferralTransitions"/> does everything every action has in common.</summary>
public sealed record TransitionRequest(Guid ReferralId, string? IfMatch, ReferralAction Action)
{
    public CompletionOutcome? Outcome { get; init; }
    public DeclineReason? DeclineReason { get; init; }

    /// <summary>Free text sent with the action: stored sealed as a referral note, never in the timeline or the audit trail.</summary>
    public string? Note { get; init; }

    /// <summary>Work beyond the shared steps (redirect creates the onward referral).</summary>
    public ITransitionStep? Step { get; init; }
}

/// <summary>A transition the state machine allowed, as an <see cref="ITransitionStep"/> sees it.</summary>
public sealed record TransitionContext(ReferralRow Referral, PersonRow Person, Principal Principal, ReferralStatus From, ReferralStatus To, DateTimeOffset Now)
{
    /// <summary>Ids and codes a step adds to the transition's audit event.</summary>
    public Dictionary<string, object?> AuditData { get; } = [];
}

public interface ITransitionStep
{
    /// <summary>Runs after the state machine allowed the action and before anything is written; throws to refuse.</summary>
    Task CheckAsync(TransitionContext context, CancellationToken ct);

    /// <summary>Runs in the same transaction once the referral row was updated (the concurrency check passed).</summary>
    Task ApplyAsync(TransitionContext context, CancellationToken ct);
}

/// <summary>
/// The one path every action takes (DESIGN §4, §5): find the referral through the visibility rule (404), check If-Match
/// (428/412), let the state machine decide (409/403/422), then — in the command's transaction — update the row guarded
/// by its version (a concurrent change wins: 412), follow the responsibility trail, append the timeline, store the note,
/// queue the webhook event and record the audit event. Handlers only translate their request into a
/// <see cref="TransitionRequest"/>.
/// </summary>
public sealed class ReferralTransitions(
    IDbSession session, ICurrentPrincipal current, Clock clock, ReferralReader reader, PersonStore persons, ProtocolStore protocols,
    ReferralNotes notes, IAuditLog audit)
{
    private const string UpdateSql = """
        UPDATE referrals
        SET status = @To, responsible_organisation_id = @Responsible, updated_at = @Now, version = version + 1,
            acknowledged_at = COALESCE(acknowledged_at, @AcknowledgedAt), decided_at = COALESCE(decided_at, @DecidedAt),
            finished_at = COALESCE(finished_at, @FinishedAt), follow_up_by = COALESCE(@FollowUpBy, follow_up_by),
            outcome = COALESCE(@Outcome, outcome), decline_reason = COALESCE(@DeclineReason, decline_reason)
        WHERE id = @Id AND version = @Expected
        """;

    public async Task<ReferralView> ApplyAsync(TransitionRequest request, CancellationToken ct)
    {
        var principal = current.Principal!;
        var row = await reader.FindVisibleAsync(request.ReferralId, principal.OrganisationId, ct) ?? throw new NotFoundException("The referral");
        var party = row.PartyOf(principal.OrganisationId);
        ReferralETag.Require(request.IfMatch, row.Version);
        var from = Wire.Parse<ReferralStatus>(row.Status);
        var to = ReferralStateMachine.Apply(from, request.Action, party, request.Outcome);

        var now = clock.Now();
        var person = await persons.FindAsync(row.PersonId, ct) ?? throw new InvalidOperationException($"Referral {row.Id} has no person.");
        var context = new TransitionContext(row, person, principal, from, to, now);
        if (request.Step is not null) await request.Step.CheckAsync(context, ct);

        var responsible = Responsibility.ResponsibleAfter(to, row.ReferrerOrganisationId, row.ReceiverOrganisationId);
        var decides = request.Action is ReferralAction.Accept or ReferralAction.Decline or ReferralAction.Redirect;
        var connection = await session.ConnectionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition(UpdateSql, new
        {
            Id = row.Id, Expected = row.Version, To = to.Code(), Responsible = responsible, Now = now,
            // Deciding is also proof of receipt, so a referral accepted straight from requested is not later reported unacknowledged.
            AcknowledgedAt = request.Action == ReferralAction.Acknowledge || decides ? now : (DateTimeOffset?)null,
            DecidedAt = decides ? now : (DateTimeOffset?)null,
            FinishedAt = ReferralStateMachine.IsFinal(to) ? now : (DateTimeOffset?)null,
            FollowUpBy = to == ReferralStatus.Accepted ? now + await FollowUpAsync(row, ct) : (DateTimeOffset?)null,
            Outcome = request.Outcome?.Code(), DeclineReason = request.DeclineReason?.Code(),
        }, session.Transaction, cancellationToken: ct));
        // Both saw the same version; the other transaction committed first. Nothing of this one is kept.
        if (updated == 0) throw new PreconditionFailedException("The referral was changed by someone else at the same time; read it again before acting.");

        var trail = await ReferralHistory.LoadTrailAsync(session, row.Id, from, ct);
        var changes = trail.OnTransition(to, row.ReferrerOrganisationId, row.ReceiverOrganisationId, now);
        await ReferralHistory.SaveTrailChangesAsync(session, row.Id, changes, ct);

        var code = request.Outcome?.Code() ?? request.DeclineReason?.Code();
        var lateBy = LateBy(request.Action, row, now);
        await ReferralHistory.AppendTimelineAsync(session, new TimelineEntry(row.Id, now, request.Action.Code(), from.Code(), to.Code(),
            principal.OrganisationId, principal.Id, code, row.ProtocolVersion, lateBy), ct);
        Guid? noteId = string.IsNullOrWhiteSpace(request.Note) ? null : await notes.AddAsync(row.Id, person, principal, request.Note, now, ct);
        if (request.Step is not null) await request.Step.ApplyAsync(context, ct);
        if (row.PartOf is { } parent) await SettleParentAsync(parent, row.Id, to, now, ct);

        var eventType = ReferralOutbox.EventFor(request.Action, to);
        await ReferralOutbox.WriteAsync(session, eventType, row.Id, to, now, ct);
        var data = new Dictionary<string, object?>
        {
            ["referralId"] = row.Id, ["action"] = request.Action.Code(), ["from"] = from.Code(), ["to"] = to.Code(), ["party"] = party.Code(),
            ["code"] = code, ["lateBySeconds"] = lateBy, ["noteId"] = noteId, ["responsibleOrganisationId"] = responsible,
            ["protocolCode"] = row.ProtocolCode, ["protocolVersion"] = row.ProtocolVersion,
            ["responsibility"] = changes.Select(ReferralHistory.Describe).ToList(),
        };
        foreach (var (key, value) in context.AuditData) data[key] = value;
        audit.Record(new AuditEntry(AuditStreams.Referral(row.Id), eventType, data));

        var fresh = await reader.FindVisibleAsync(row.Id, principal.OrganisationId, ct);
        return await reader.ViewAsync(fresh!, principal.OrganisationId, ct);
    }

    private async Task<TimeSpan> FollowUpAsync(ReferralRow row, CancellationToken ct)
    {
        var protocol = await protocols.VersionAsync(row.ProtocolCode, row.ProtocolVersion, ct)
            ?? throw new InvalidOperationException($"Referral {row.Id} pins protocol {row.ProtocolCode} v{row.ProtocolVersion}, which does not exist.");
        return IsoDuration.Parse(protocol.Document.DeadlinesFor(row.Urgency).FollowUp);
    }

    /// <summary>How late an action is that stops a deadline after it passed (DESIGN §5: late actions are allowed and say so).</summary>
    private static long? LateBy(ReferralAction action, ReferralRow row, DateTimeOffset now)
    {
        var due = action switch
        {
            ReferralAction.Acknowledge => row.AcknowledgeBy,
            ReferralAction.Accept or ReferralAction.Decline or ReferralAction.Redirect => row.DecideBy,
            ReferralAction.Complete => row.FollowUpBy,
            _ => null,
        };
        return due is { } at && now > at ? (long)Math.Floor((now - at).TotalSeconds) : null;
    }

    /// <summary>
    /// DESIGN §5: the referrer of a redirected referral stays responsible until the onward referral is accepted or ends
    /// without acceptance; then its open period closes, in this same transaction.
    /// </summary>
    private async Task SettleParentAsync(Guid parentId, Guid onwardId, ReferralStatus onwardStatus, DateTimeOffset now, CancellationToken ct)
    {
        var basis = onwardStatus switch
        {
            ReferralStatus.Accepted => ResponsibilityBasis.OnwardAccepted,
            ReferralStatus.Rejected or ReferralStatus.Cancelled or ReferralStatus.Redirected => ResponsibilityBasis.OnwardEnded,
            _ => null,
        };
        if (basis is null) return;
        var connection = await session.ConnectionAsync(ct);
        var parentStatus = await connection.QuerySingleAsync<string>(new CommandDefinition(
            "SELECT status FROM referrals WHERE id = @Id", new { Id = parentId }, session.Transaction, cancellationToken: ct));
        if (parentStatus != ReferralStatus.Redirected.Code()) return;
        var trail = await ReferralHistory.LoadTrailAsync(session, parentId, ReferralStatus.Redirected, ct);
        if (trail.IsClosed) return; // e.g. the onward referral was accepted, then withdrawn
        var changes = trail.CloseRedirected(now, basis);
        await ReferralHistory.SaveTrailChangesAsync(session, parentId, changes, ct);
        audit.Record(new AuditEntry(AuditStreams.Referral(parentId), $"referral.{basis}", new Dictionary<string, object?>
        {
            ["referralId"] = parentId, ["onwardReferralId"] = onwardId, ["onwardStatus"] = onwardStatus.Code(),
            ["responsibility"] = changes.Select(ReferralHistory.Describe).ToList(),
        }));
    }
}
