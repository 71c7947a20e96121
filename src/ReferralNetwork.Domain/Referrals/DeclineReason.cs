namespace ReferralNetwork.Domain.Referrals;

/// <summary>Why a receiver declines (DESIGN §4); a code so statistics can count it, the note says the rest.</summary>
public enum DeclineReason
{
    NoCapacity,
    NotEligible,
    ServiceNotOffered,
    ClientUnreachable,
    Duplicate,
    Other,
}
