namespace ReferralNetwork.Domain.Deadlines;

/// <summary>
/// The accountability deadlines of a referral (DESIGN §5), as deadline breaches and timeline codes name them:
/// <c>acknowledge</c>, <c>decide</c>, <c>follow_up</c> (after acceptance) and <c>review</c> (of an emergency override).
/// </summary>
public enum DeadlineKind
{
    Acknowledge,
    Decide,
    FollowUp,
    Review,
}
