namespace ReferralNetwork.Application.Features.Reports;

/// <summary>
/// How indicators group, as SQL over <c>r</c> (referral), <c>d</c> (duty) and <c>b</c> (breach) and whatever
/// <see cref="Join"/> adds to the referral. By organisation a referral counts as sent for its referrer and as received for
/// its receiver, whose acknowledgement, decision, completion and outcomes it measures; duties and breaches count for their
/// holder. By protocol or service every figure counts for the referral's own protocol or service(s), so sent and received
/// are the same number. <see cref="Partition"/>: every referral falls in exactly one row (a referral of two services counts in both).
/// </summary>
public sealed record IndicatorGrouping(string Code, string SentKey, string ReceivedKey, string DutyKey, string BreachKey, bool Partition, string Join = "")
{
    public bool ByOrganisation => Code == IndicatorGroupings.Organisation;
}

public static class IndicatorGroupings
{
    public const string Organisation = "organisation";

    public static readonly IReadOnlyDictionary<string, IndicatorGrouping> All = new Dictionary<string, IndicatorGrouping>(StringComparer.Ordinal)
    {
        [Organisation] = new(Organisation, "r.referrer_organisation_id", "r.receiver_organisation_id", "d.holder_organisation_id",
            // Breaches recorded before duties had holders name only who was responsible.
            "COALESCE(b.holder_organisation_id, b.responsible_organisation_id)", Partition: true),
        ["protocol"] = new("protocol", "r.protocol_code", "r.protocol_code", "r.protocol_code", "r.protocol_code", Partition: true),
        ["service"] = new("service", "s.service_code", "s.service_code", "s.service_code", "s.service_code", Partition: false,
            "JOIN referral_services s ON s.referral_id = r.id"),
    };
}
