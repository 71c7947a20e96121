using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Organisations;
using ReferralNetwork.Domain.People;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Statistics;

/// <summary>
/// A way to group referrals, as SQL: <see cref="Key"/> is the grouping expression over <c>r</c> (referral), <c>p</c>
/// (person), <c>receiver_org</c>, <c>referrer_org</c> and whatever <see cref="Join"/> adds. <see cref="Partition"/>:
/// every referral falls into exactly one cell (so the cells add up to the total); otherwise a referral with two services
/// or two vulnerabilities counts in both. <see cref="FixedKeys"/> is the published key set (so a withheld cell need not
/// name its key); <see cref="KeysSql"/> reads it from the directory where the directory defines it.
/// </summary>
public sealed record StatisticsDimension(string Key, bool Partition, IReadOnlyList<string>? FixedKeys = null, string? KeysSql = null, string Join = "")
{
    /// <summary>Cells are listed in the fixed key order (age bands youngest first), else by key — never by size, which
    /// would hint at the size of a withheld cell.</summary>
    public static int OrderOf(IReadOnlyList<string>? keys, string key) =>
        keys is null ? 0 : keys.Select((k, i) => (Key: k, Index: i)).FirstOrDefault(x => x.Key == key, (Key: key, Index: keys.Count)).Index;
}

public static class StatisticsDimensions
{
    public static readonly string[] AgeBands = ["0-13", "14-17", "18-25", "26-59", "60+"];

    /// <summary>The oldest age of each band but the last; the SQL grouping and <see cref="AgeBand"/> are both made from it.</summary>
    private static readonly (int MaxAge, string Band)[] AgeBandLimits = [(13, "0-13"), (17, "14-17"), (25, "18-25"), (59, "26-59")];

    /// <summary>The band of an age, as the SQL CASE computes it.</summary>
    public static string AgeBand(int age) => AgeBandLimits.FirstOrDefault(l => age <= l.MaxAge, (MaxAge: int.MaxValue, Band: "60+")).Band;

    private static readonly string[] EndStates = ["rejected", "cancelled", "redirected", "completed", "failed"];

    /// <summary>
    /// Vulnerabilities are a comma-separated list on the person: one key row per code, matched exactly (LIKE with the
    /// underscore escaped), parameters <c>@v{i}</c>, <c>@v{i}s</c>, <c>@v{i}e</c>, <c>@v{i}m</c> (<see cref="VulnerabilityParameters"/>).
    /// </summary>
    private static string VulnerabilityJoin()
    {
        var rows = VulnerabilityKeys.Select((_, i) => $"SELECT @v{i} AS code, @v{i}s AS starts, @v{i}e AS ends, @v{i}m AS mid");
        return $"""
            JOIN ({string.Join(" UNION ALL ", rows)}) v
              ON (p.vulnerabilities = v.code OR p.vulnerabilities LIKE v.starts ESCAPE '\' OR p.vulnerabilities LIKE v.ends ESCAPE '\'
                  OR p.vulnerabilities LIKE v.mid ESCAPE '\' OR (v.code = 'none' AND p.vulnerabilities = ''))
            """;
    }

    public static readonly IReadOnlyList<string> VulnerabilityKeys = [.. Wire.Codes<Vulnerability>().Order(StringComparer.Ordinal), "none"];

    public static IDictionary<string, object?> VulnerabilityParameters()
    {
        var parameters = new Dictionary<string, object?>();
        for (var i = 0; i < VulnerabilityKeys.Count; i++)
        {
            var code = VulnerabilityKeys[i];
            var escaped = code.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
            parameters[$"v{i}"] = code;
            parameters[$"v{i}s"] = escaped + ",%";
            parameters[$"v{i}e"] = "%," + escaped;
            parameters[$"v{i}m"] = "%," + escaped + ",%";
        }
        return parameters;
    }

    public static readonly IReadOnlyDictionary<string, StatisticsDimension> All = new Dictionary<string, StatisticsDimension>(StringComparer.Ordinal)
    {
        ["service"] = new("s.service_code", Partition: false, KeysSql: "SELECT code FROM services ORDER BY code",
            Join: "JOIN referral_services s ON s.referral_id = r.id"),
        ["vulnerability"] = new("v.code", Partition: false, VulnerabilityKeys, Join: VulnerabilityJoin()),
        ["sex"] = new("p.sex", Partition: true, [.. Wire.Codes<Sex>()]),
        // Age in the year of the referral from the birth year; a period never spans two years, so that year is @Year.
        ["ageBand"] = new($"CASE {string.Join(" ", AgeBandLimits.Select(l => $"WHEN @Year - p.birth_year <= {l.MaxAge} THEN '{l.Band}'"))} ELSE '60+' END",
            Partition: true, AgeBands),
        // Any ISO 3166 alpha-2 code, or "unknown": the key set is that standard's, not listed here.
        ["nationality"] = new("COALESCE(p.nationality, 'unknown')", Partition: true),
        // The completion outcome; else how the referral ended; else "open".
        ["outcome"] = new($"COALESCE(r.outcome, CASE WHEN r.status IN ({string.Join(", ", EndStates.Select(s => $"'{s}'"))}) THEN r.status ELSE 'open' END)",
            Partition: true, [.. Wire.Codes<CompletionOutcome>().Order(StringComparer.Ordinal), .. EndStates, "open"]),
        ["protocol"] = new("r.protocol_code", Partition: true, KeysSql: "SELECT DISTINCT code FROM protocols ORDER BY code"),
        ["receiverKind"] = new("receiver_org.kind", Partition: true, [.. Wire.Codes<OrganisationKind>()]),
        // Where the person was met: the referring organisation's municipality (the directory lists them).
        ["municipality"] = new("referrer_org.municipality", Partition: true, KeysSql: "SELECT DISTINCT municipality FROM organisations ORDER BY municipality"),
    };
}
