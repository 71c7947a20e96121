namespace ReferralNetwork.Domain.Referrals;

/// <summary>
/// The action is possible in this status, but not for this party (the API answers 403: the caller may see the
/// referral, it is just not its move).
/// </summary>
public sealed class WrongPartyException : TransitionRefusedException
{
    public WrongPartyException(
        ReferralStatus from, ReferralAction action, Party party, Party actor, IReadOnlyList<ReferralAction> allowed)
        : base(from, action, party, allowed,
            allowed.Count == 0
                ? (Text)$"Only the {actor.Code()} may '{action.Code()}' a referral that is {from.Code()}; the {party.Code()} may take no action now."
                : (Text)$"Only the {actor.Code()} may '{action.Code()}' a referral that is {from.Code()}; the {party.Code()} may: {Actions(allowed)}.")
    {
        Actor = actor;
    }

    /// <summary>The party the transition table gives this action to.</summary>
    public Party Actor { get; }
}
