namespace ReferralNetwork.Domain.Referrals;

/// <summary>
/// One organisation's stretch of responsibility for a referral; <paramref name="Until"/> is null while it lasts.
/// <paramref name="Basis"/> says why the organisation became responsible (see <see cref="ResponsibilityBasis"/>).
/// </summary>
public sealed record ResponsibilityPeriod(Guid OrganisationId, DateTimeOffset From, DateTimeOffset? Until, string Basis);
