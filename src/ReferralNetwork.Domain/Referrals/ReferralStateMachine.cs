using System.Collections.Frozen;
using static ReferralNetwork.Domain.Referrals.ReferralStatus;

namespace ReferralNetwork.Domain.Referrals;

/// <summary>
/// The referral lifecycle of DESIGN §4 as one table. Every action goes through <see cref="Apply"/>, so an illegal
/// move is always refused the same way and never silently ignored.
/// </summary>
public static class ReferralStateMachine
{
    // Declared before the table, which reads it: static initialisers run in text order.
    private static readonly FrozenSet<ReferralStatus> Final =
        FrozenSet.ToFrozenSet([Completed, Failed, Rejected, Cancelled, Redirected]);

    // One row per (from, action). A null target means the completion outcome decides (completed or failed).
    private static readonly FrozenDictionary<(ReferralStatus From, ReferralAction Action), (Party Actor, ReferralStatus? To)> Table =
        new (ReferralStatus[] From, ReferralAction Action, Party Actor, ReferralStatus? To)[]
        {
            ([Requested], ReferralAction.Acknowledge, Party.Receiver, Received),
            ([Requested, Received], ReferralAction.Accept, Party.Receiver, Accepted),
            ([Requested, Received], ReferralAction.Decline, Party.Receiver, Rejected),
            ([Requested, Received], ReferralAction.Redirect, Party.Receiver, Redirected),
            ([Accepted], ReferralAction.Start, Party.Receiver, InProgress),
            ([Accepted, InProgress], ReferralAction.Hold, Party.Receiver, OnHold),
            ([OnHold], ReferralAction.Resume, Party.Receiver, InProgress),
            ([Accepted, InProgress, OnHold], ReferralAction.Complete, Party.Receiver, null),
            ([.. Enum.GetValues<ReferralStatus>().Where(s => !Final.Contains(s))], ReferralAction.Withdraw, Party.Referrer, Cancelled),
        }
        .SelectMany(row => row.From.Select(from => (Key: (from, row.Action), Value: (row.Actor, row.To))))
        .ToFrozenDictionary(row => row.Key, row => row.Value);

    // Precomputed so the hot path (every referral view lists its allowed actions) allocates nothing.
    private static readonly FrozenDictionary<(ReferralStatus, Party), IReadOnlyList<ReferralAction>> Allowed =
        (from status in Enum.GetValues<ReferralStatus>()
         from party in Enum.GetValues<Party>()
         select (status, party))
        .ToFrozenDictionary(
            key => key,
            key => (IReadOnlyList<ReferralAction>)Enum.GetValues<ReferralAction>()
                .Where(a => Table.TryGetValue((key.status, a), out var row) && row.Actor == key.party)
                .ToArray()
                .AsReadOnly());

    /// <summary>The status after <paramref name="party"/> takes <paramref name="action"/>, or a domain error.</summary>
    /// <param name="outcome">Required for <see cref="ReferralAction.Complete"/> and refused for every other action.</param>
    /// <exception cref="IllegalTransitionException">No party may take the action in this status (409).</exception>
    /// <exception cref="WrongPartyException">Only the other party may take it (403).</exception>
    /// <exception cref="DomainRuleException">The outcome is missing for complete, or given for another action (422).</exception>
    public static ReferralStatus Apply(ReferralStatus from, ReferralAction action, Party party, CompletionOutcome? outcome = null)
    {
        if (!Table.TryGetValue((from, action), out var row))
        {
            throw new IllegalTransitionException(from, action, party, AllowedActions(from, party));
        }

        // Checked before the outcome: who may act is decided before what they sent.
        if (row.Actor != party)
        {
            throw new WrongPartyException(from, action, party, row.Actor, AllowedActions(from, party));
        }

        return (row.To, outcome) switch
        {
            (null, { } given) => CompletionOutcomes.ResultingStatus(given),
            (null, null) => throw new DomainRuleException(
                "outcome_required", "Completing a referral needs an outcome, so the referrer learns how the loop closed."),
            ({ } to, null) => to,
            (_, { }) => throw new DomainRuleException(
                "outcome_not_applicable", $"An outcome belongs to 'complete' only, not to '{action.Code()}'."),
        };
    }

    /// <summary>What <paramref name="party"/> may do in <paramref name="status"/>, in <see cref="ReferralAction"/> order.</summary>
    public static IReadOnlyList<ReferralAction> AllowedActions(ReferralStatus status, Party party) =>
        Allowed.TryGetValue((status, party), out var actions) ? actions : [];

    /// <summary>Completed, failed, rejected, cancelled and redirected referrals never move again.</summary>
    public static bool IsFinal(ReferralStatus status) => Final.Contains(status);
}
