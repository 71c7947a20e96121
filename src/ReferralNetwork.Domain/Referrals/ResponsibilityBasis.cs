namespace ReferralNetwork.Domain.Referrals;

/// <summary>
/// The short codes that explain a responsibility change. Changes caused by a transition use the new status's wire
/// code (<c>accepted</c>, <c>rejected</c>, <c>cancelled</c>, <c>completed</c>, <c>failed</c>), so the trail reads
/// like the timeline; the rest are here.
/// </summary>
public static class ResponsibilityBasis
{
    /// <summary>The referrer is responsible from the moment it submits.</summary>
    public const string Submitted = "submitted";

    /// <summary>The onward referral of a redirected one was accepted: the target now answers for the person.</summary>
    public const string OnwardAccepted = "onward_accepted";

    /// <summary>The onward referral reached a final state without being accepted.</summary>
    public const string OnwardEnded = "onward_ended";

    public static string For(ReferralStatus status) => status.Code();
}
