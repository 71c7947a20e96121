namespace ReferralNetwork.Application.Features.Statistics;

/// <summary>
/// A way to group referrals. <see cref="Partition"/>: every referral falls into exactly one cell (so the cells add up
/// to the total); otherwise a referral with two services or two vulnerabilities counts in both.
/// </summary>
public sealed record StatisticsDimension(Func<StatisticsRow, IEnumerable<string>> KeysOf, bool Partition, string[]? Order = null)
{
    /// <summary>Cells are listed in a fixed order (age bands youngest first, else by key) — never by size, which would hint
    /// at the size of a suppressed cell.</summary>
    public int OrderOf(string key) => Order is null ? 0 : Array.IndexOf(Order, key) is var i and >= 0 ? i : Order.Length;
}

public static class StatisticsDimensions
{
    public static readonly string[] AgeBands = ["0-13", "14-17", "18-25", "26-59", "60+"];

    public static readonly IReadOnlyDictionary<string, StatisticsDimension> All = new Dictionary<string, StatisticsDimension>(StringComparer.Ordinal)
    {
        ["service"] = new(r => r.Services.Split(',', StringSplitOptions.RemoveEmptyEntries), Partition: false),
        ["vulnerability"] = new(r => r.Vulnerabilities.Split(',', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } v ? v : ["none"], Partition: false),
        ["sex"] = new(r => [r.Sex], Partition: true),
        ["ageBand"] = new(r => [AgeBand(r.CreatedAt.Year - r.BirthYear)], Partition: true, AgeBands),
        ["nationality"] = new(r => [r.Nationality ?? "unknown"], Partition: true),
        ["outcome"] = new(r => [Outcome(r)], Partition: true),
        ["protocol"] = new(r => [r.ProtocolCode], Partition: true),
        ["receiverKind"] = new(r => [r.ReceiverKind], Partition: true),
        // Where the person was met: the referring organisation's municipality.
        ["municipality"] = new(r => [r.ReferrerMunicipality], Partition: true),
    };

    /// <summary>Age in the year of the referral, from the birth year (the only date of birth kept in clear).</summary>
    public static string AgeBand(int age) => age switch
    {
        <= 13 => "0-13",
        <= 17 => "14-17",
        <= 25 => "18-25",
        <= 59 => "26-59",
        _ => "60+",
    };

    /// <summary>The completion outcome; else how the referral ended (rejected, cancelled, redirected); else <c>open</c>.</summary>
    private static string Outcome(StatisticsRow r) =>
        r.Outcome ?? (r.Status is "rejected" or "cancelled" or "redirected" or "completed" or "failed" ? r.Status : "open");
}
