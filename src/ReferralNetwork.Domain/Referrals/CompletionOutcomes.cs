namespace ReferralNetwork.Domain.Referrals;

public static class CompletionOutcomes
{
    /// <summary>
    /// Whether the person got (some of) the service decides between FHIR's <c>completed</c> and <c>failed</c>;
    /// a partial service still counts as completed so the referrer reads the note rather than re-referring blindly.
    /// </summary>
    public static ReferralStatus ResultingStatus(CompletionOutcome outcome) => outcome switch
    {
        CompletionOutcome.ServiceProvided or CompletionOutcome.PartiallyProvided => ReferralStatus.Completed,
        CompletionOutcome.ClientDeclined or CompletionOutcome.LostContact
            or CompletionOutcome.ClientMoved or CompletionOutcome.NotEligible => ReferralStatus.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Not a completion outcome."),
    };
}
