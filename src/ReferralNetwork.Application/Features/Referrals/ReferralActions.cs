using System.Collections.Frozen;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>The actions a party may take now, as wire codes: the domain's transition table, nothing added.</summary>
internal static class ReferralActions
{
    // Every view lists them, so the codes are worked out once per (status, party).
    private static readonly FrozenDictionary<(ReferralStatus, Party), string[]> Codes =
        (from status in Enum.GetValues<ReferralStatus>()
         from party in Enum.GetValues<Party>()
         select (status, party))
        .ToFrozenDictionary(k => k, k => ReferralStateMachine.AllowedActions(k.status, k.party).Select(a => a.Code()).ToArray());

    public static IReadOnlyList<string> AllowedFor(ReferralRow row, string relation) =>
        Codes[(Wire.Parse<ReferralStatus>(row.Status), Wire.Parse<Party>(relation))];
}
