using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Protocols;
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

/// <summary>A transition the caller asked for, as an <see cref="ITransitionStep"/> sees it.</summary>
public sealed record TransitionContext(LoadedReferral Loaded, Principal Principal, DateTimeOffset Now)
{
    /// <summary>Ids and codes a step adds to the transition's audit event.</summary>
    public Dictionary<string, object?> AuditData { get; } = [];

    /// <summary>The onward referral a step created, for the answer's view.</summary>
    public OnwardReferralView? Onward { get; set; }
}

public interface ITransitionStep
{
    /// <summary>Runs before the domain decides and before anything is written; throws to refuse.</summary>
    Task CheckAsync(TransitionContext context, CancellationToken ct);

    /// <summary>Runs in the same transaction once the referral's change was written (its version guard passed).</summary>
    Task ApplyAsync(TransitionContext context, CancellationToken ct);
}

/// <summary>
/// The path every action takes (DESIGN §4, §5): load the referral; the caller's organisation must be a party or observer
/// (404 otherwise); check If-Match (428/412); let the domain decide (409/403/422) and return the change; seal the note;
/// persist the change through <see cref="ReferralRepository"/> (row guarded by its version, trail, duties, timeline,
/// outbox, audit event); settle the parent of an onward referral. Handlers only translate their request.
/// </summary>
public sealed class ReferralTransitions(
    ICurrentPrincipal current, Clock clock, ReferralRepository repository, ReferralReader reader, ProtocolStore protocols, ReferralNotes notes)
{
    public async Task<ReferralView> ApplyAsync(TransitionRequest request, CancellationToken ct)
    {
        var principal = current.Principal!;
        var loaded = await repository.LoadAsync(request.ReferralId, ct);
        var referral = loaded?.Referral;
        var party = referral?.PartyOf(principal.OrganisationId) ?? throw new NotFoundException("The referral");
        ReferralETag.Require(request.IfMatch, referral.State.Version);
        var now = clock.Now();
        var context = new TransitionContext(loaded!, principal, now);
        // The state machine decides before the step looks at the target, so a wrong move is refused the same way for every action.
        ReferralStateMachine.Apply(referral.Status, request.Action, party, request.Outcome);
        if (request.Step is not null) await request.Step.CheckAsync(context, ct);

        // Accepting opens the follow-up and step duties; completing checks the mandatory steps: both read the pinned protocol.
        var protocol = request.Action is ReferralAction.Accept or ReferralAction.Complete ? (await PinnedAsync(referral, ct)).Document : null;
        TimeSpan? followUp = request.Action == ReferralAction.Accept ? IsoDuration.Parse(protocol!.DeadlinesFor(referral.State.Urgency).FollowUp) : null;
        var change = referral.Act(request.Action, party, principal.AsActor(), now, request.Outcome, request.DeclineReason, followUp,
            protocol?.StepsFor(referral.State.Services));
        var data = new Dictionary<string, object?>(change.EventData);
        if (!string.IsNullOrWhiteSpace(request.Note)) data["noteId"] = await notes.AddAsync(referral.Id, loaded!.Person, principal, request.Note, now, ct);
        if (request.Step is not null) await request.Step.ApplyAsync(context, ct);
        foreach (var (key, value) in context.AuditData) data[key] = value;
        await repository.SaveAsync(change with { EventData = data }, loaded!.Head, ct);
        if (referral.State.PartOf is { } parent) await SettleParentAsync(parent, referral, principal, now, ct);
        return await reader.ViewAsync(loaded, principal.OrganisationId, now, ct, context.Onward);
    }

    private async Task<PinnedProtocol> PinnedAsync(Referral referral, CancellationToken ct) =>
        await protocols.VersionAsync(referral.State.ProtocolCode, referral.State.ProtocolVersion, ct)
            ?? throw new InvalidOperationException($"Referral {referral.Id} pins a protocol version that does not exist.");

    /// <summary>
    /// The referrer of a redirected referral stays responsible until the onward one is accepted or ends (DESIGN §5): the
    /// parent's change is written in this same transaction, through the same path.
    /// </summary>
    private async Task SettleParentAsync(Guid parentId, Referral onward, Principal principal, DateTimeOffset now, CancellationToken ct)
    {
        var parent = await repository.LoadAsync(parentId, ct);
        if (parent?.Referral.SettleOnward(onward.Id, onward.Status, principal.AsActor(), now) is not { } change) return;
        await repository.SaveAsync(change, parent.Head, ct);
    }
}
