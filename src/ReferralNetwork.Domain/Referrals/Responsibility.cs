using static ReferralNetwork.Domain.Referrals.ReferralStatus;

namespace ReferralNetwork.Domain.Referrals;

/// <summary>Who answers for a referral in each status (DESIGN §5); the deadline monitor blames this organisation.</summary>
public static class Responsibility
{
    /// <summary>
    /// The referrer until the receiver accepts; the receiver from acceptance until a final state. A referral that
    /// ends without the receiver taking it on (rejected, redirected) or that the referrer withdraws comes back to
    /// the referrer, who still has to find the person a service.
    /// </summary>
    public static Guid ResponsibleAfter(ReferralStatus status, Guid referrerOrgId, Guid receiverOrgId) => status switch
    {
        Requested or Received or Rejected or Cancelled or Redirected => referrerOrgId,
        Accepted or InProgress or OnHold or Completed or Failed => receiverOrgId,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not a referral status."),
    };
}
