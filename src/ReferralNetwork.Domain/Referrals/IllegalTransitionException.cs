namespace ReferralNetwork.Domain.Referrals;

/// <summary>No party may take this action in this status (the API answers 409 Conflict).</summary>
public sealed class IllegalTransitionException : TransitionRefusedException
{
    public IllegalTransitionException(
        ReferralStatus from, ReferralAction action, Party party, IReadOnlyList<ReferralAction> allowed)
        : base(from, action, party, allowed,
            allowed.Count == 0
                ? (Text)$"A referral that is {from.Code()} cannot be given '{action.Code()}'; the {party.Code()} may take no action now."
                : (Text)$"A referral that is {from.Code()} cannot be given '{action.Code()}'; the {party.Code()} may: {Actions(allowed)}.")
    {
    }
}
