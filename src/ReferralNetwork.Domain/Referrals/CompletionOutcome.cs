namespace ReferralNetwork.Domain.Referrals;

/// <summary>How the receiver closes the loop (DESIGN §4); <see cref="CompletionOutcomes"/> maps it to the final status.</summary>
public enum CompletionOutcome
{
    ServiceProvided,
    PartiallyProvided,
    ClientDeclined,
    LostContact,
    ClientMoved,
    NotEligible,
}
