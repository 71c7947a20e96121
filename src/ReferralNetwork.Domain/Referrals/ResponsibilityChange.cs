namespace ReferralNetwork.Domain.Referrals;

/// <summary>
/// One step of a <see cref="ResponsibilityTrail"/>, in the order the handler must persist them:
/// <see cref="ChangeKind.Opened"/> inserts <paramref name="Period"/> as row <paramref name="Sequence"/>;
/// <see cref="ChangeKind.Closed"/> sets that row's <c>until</c> to <c>Period.Until</c>.
/// </summary>
/// <param name="Sequence">0-based position in the trail: with the referral id, the row's key.</param>
/// <param name="Period">The period as it stands after this change.</param>
/// <param name="Basis">
/// Why the change happened. For an opening it equals <c>Period.Basis</c>; for a closing it is the reason the
/// organisation stopped being responsible (<c>accepted</c>, <c>completed</c>, <c>onward_accepted</c>, …), which the
/// period itself does not hold, so the handler records it with the audit event.
/// </param>
public sealed record ResponsibilityChange(ChangeKind Kind, int Sequence, ResponsibilityPeriod Period, string Basis);
