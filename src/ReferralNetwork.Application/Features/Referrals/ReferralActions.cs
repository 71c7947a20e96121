namespace ReferralNetwork.Application.Features.Referrals;

internal static class ReferralActions
{
    // Replaced by the domain state machine when the lifecycle lands.
    public static IReadOnlyList<string> AllowedFor(ReferralRow row, string relation) => [];
}
