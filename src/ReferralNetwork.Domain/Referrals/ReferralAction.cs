namespace ReferralNetwork.Domain.Referrals;

/// <summary>
/// What a party does to a submitted referral (DESIGN §4); each is one <c>POST /referrals/{id}/{action}</c>.
/// Submission is not here: it creates the referral rather than moving one.
/// </summary>
public enum ReferralAction
{
    Acknowledge,
    Accept,
    Decline,
    Redirect,
    Start,
    Hold,
    Resume,
    Complete,
    Withdraw,
}
