namespace ReferralNetwork.Domain.Referrals;

/// <summary>
/// The state machine refused an action. Both kinds of refusal carry what this party may do instead,
/// because the API puts the allowed actions in the problem body (DESIGN §4).
/// </summary>
public abstract class TransitionRefusedException : DomainException
{
    private protected TransitionRefusedException(
        ReferralStatus from, ReferralAction action, Party party, IReadOnlyList<ReferralAction> allowed, Text message)
        : base(message)
    {
        From = from;
        Action = action;
        Party = party;
        Allowed = allowed;
    }

    public ReferralStatus From { get; }

    public ReferralAction Action { get; }

    /// <summary>Who asked; <see cref="Allowed"/> is what this party may do now.</summary>
    public Party Party { get; }

    public IReadOnlyList<ReferralAction> Allowed { get; }

    private protected static string Actions(IReadOnlyList<ReferralAction> allowed) => string.Join(", ", allowed.Select(a => a.Code()));
}
