namespace ReferralNetwork.Domain.Deadlines;

/// <summary>
/// The accountability deadlines of a referral (DESIGN §5), as duties, breaches and timeline codes name them:
/// <c>acknowledge</c>, <c>decide</c>, <c>follow_up</c> (the receiver's), <c>review</c> (of an emergency override: the
/// referring organisation's supervisors') and <c>guardian_appointment</c> (the competent centre for social work's).
/// </summary>
public enum DeadlineKind
{
    Acknowledge,
    Decide,
    FollowUp,
    Review,
    GuardianAppointment,
    Step,
}
