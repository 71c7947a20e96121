namespace ReferralNetwork.Domain.Referrals;

/// <summary>
/// The caller's organisation's relation to one referral. Roles say what a principal may do in general;
/// the party says which side of this referral it is on, and the transition table is written in parties.
/// </summary>
public enum Party
{
    Referrer,
    Receiver,

    /// <summary>Sees the referral (e.g. the guardian's centre for social work) but never acts on it.</summary>
    Observer,
}
