namespace ReferralNetwork.Domain.Referrals;

/// <summary>What happened to a responsibility period: an INSERT or an UPDATE of its <c>until</c> for the handler.</summary>
public enum ChangeKind
{
    Opened,
    Closed,
}
