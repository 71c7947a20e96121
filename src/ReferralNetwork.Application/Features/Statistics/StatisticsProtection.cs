namespace ReferralNetwork.Application.Features.Statistics;

/// <summary>The counts of one table (non-empty keys only), its total, which keys are withheld, and whether the whole table is.</summary>
public sealed record ProtectedTable(IReadOnlyDictionary<string, int> Counts, int Total, IReadOnlySet<string> Hidden, bool Withheld);

/// <summary>
/// What may be published of a table of counts.
/// <list type="bullet">
/// <item>A table over fewer than <see cref="MinimumPopulation"/> referrals (but more than none) is withheld whole: no total, no cells.</item>
/// <item>Otherwise <see cref="SmallCellSuppression"/>: primary cells under 5 and complementary cells, so that nothing hidden
/// follows from the total and the visible cells — computed assuming the attacker knows which keys are hidden.</item>
/// <item>A quarter (<see cref="Combine"/>) is published only as a function of its three month tables: withheld whole if a
/// month is; a cell any month withholds is withheld in the quarter too. So every visible quarter cell is a sum of visible
/// month cells and the quarter total the sum of the month totals — the quarter reveals nothing the months do not, and
/// "quarter minus two months" recovers nothing. (Further complementary suppression at quarter level only hides more.)</item>
/// </list>
/// </summary>
public static class StatisticsProtection
{
    public const int MinimumPopulation = 10;

    public static ProtectedTable Protect(StatisticsCounts counts, bool partition, IReadOnlyList<string>? keys) =>
        Protect(counts.ByKey, counts.Total, partition, keys, forced: null, withheld: false);

    public static ProtectedTable Combine(IReadOnlyList<ProtectedTable> months, bool partition, IReadOnlyList<string>? keys)
    {
        var counts = months.SelectMany(m => m.Counts).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value), StringComparer.Ordinal);
        var forced = months.SelectMany(m => m.Hidden).ToHashSet(StringComparer.Ordinal);
        return Protect(counts, months.Sum(m => m.Total), partition, keys, forced, months.Any(m => m.Withheld));
    }

    private static ProtectedTable Protect(IReadOnlyDictionary<string, int> counts, int total, bool partition, IReadOnlyList<string>? keys,
        IReadOnlySet<string>? forced, bool withheld)
    {
        var ordered = counts.Keys.OrderBy(k => StatisticsDimension.OrderOf(keys, k))
            .ThenBy(k => k, StringComparer.Ordinal).ToList();
        if (withheld || total is > 0 and < MinimumPopulation)
            return new ProtectedTable(counts, total, ordered.ToHashSet(StringComparer.Ordinal), true);
        var hidden = SmallCellSuppression.Suppress(ordered.Select(k => counts[k]).ToList(), total, partition,
            forced: ordered.Select(k => forced?.Contains(k) ?? false).ToList());
        return new ProtectedTable(counts, total, ordered.Where((_, i) => hidden[i]).ToHashSet(StringComparer.Ordinal), false);
    }
}
