namespace ReferralNetwork.Application.Features.Statistics;

/// <summary>
/// Statistical disclosure control for one row set of counts published beside its total.
/// <para>
/// Primary suppression hides every cell under the threshold (a cell of 1–4 referrals can single out a child). That
/// alone is not enough: with the total published, total − visible cells = the hidden cells' sum, so one hidden cell is
/// simply that difference, and several can still be pinned down by their bounds (two hidden cells summing to 2 are
/// both 1; summing to 8, both 4). Complementary suppression therefore hides the next smallest visible cell, again and
/// again, until no hidden cell's value is determined by the total, the visible cells and what an attacker knows of
/// each hidden cell (a primary one lies in [1, threshold − 1], a complementary one in [threshold, ∞)) — and never
/// leaves exactly one cell hidden. When every cell is hidden only the total is left; it is not withheld, because every
/// other grouping of the same referrals publishes the same total anyway.
/// </para>
/// <para>
/// When the cells partition the total (sex, age band, …) the hidden cells sum to exactly that difference; when a
/// referral may fall into several cells (service, vulnerability) the difference is only a lower bound of their sum.
/// </para>
/// </summary>
public static class SmallCellSuppression
{
    public const int Threshold = 5;

    /// <summary>
    /// Which cells to hide. <paramref name="counts"/> are in display order (ties for "next smallest" go to the first);
    /// <paramref name="forced"/> cells are hidden whatever their size (a quarter's cell that one of its months hides).
    /// </summary>
    public static bool[] Suppress(IReadOnlyList<int> counts, int total, bool partition, int threshold = Threshold, IReadOnlyList<bool>? forced = null)
    {
        var primary = counts.Select(c => c < threshold).ToArray();
        var hidden = counts.Select((c, i) => c < threshold || (forced?[i] ?? false)).ToArray();
        // A total under the threshold is itself hidden, and so is every cell (each is at most the total).
        if (total < threshold) return counts.Select(_ => true).ToArray();
        while (hidden.Any(h => h) && IsDisclosive(counts, hidden, primary, total, partition, threshold))
        {
            var next = Enumerable.Range(0, counts.Count).Where(i => !hidden[i]).OrderBy(i => counts[i]).ThenBy(i => i).Cast<int?>().FirstOrDefault();
            if (next is null) break;
            hidden[next.Value] = true;
        }
        return hidden;
    }

    /// <summary>True when one hidden cell stands alone, or some hidden cell's value can be derived exactly.</summary>
    public static bool IsDisclosive(IReadOnlyList<int> counts, bool[] hidden, bool[] primary, int total, bool partition, int threshold = Threshold)
    {
        var hiddenCells = Enumerable.Range(0, counts.Count).Where(i => hidden[i]).ToList();
        if (hiddenCells.Count == 1) return true;
        long rest = total - Enumerable.Range(0, counts.Count).Where(i => !hidden[i]).Sum(i => (long)counts[i]);
        foreach (var i in hiddenCells)
        {
            var others = hiddenCells.Where(j => j != i).ToList();
            var othersLow = others.Sum(j => primary[j] ? 1L : threshold);
            // The others can absorb any amount as soon as one of them is a complementary (unbounded) cell.
            long? othersHigh = others.Any(j => !primary[j]) ? null : others.Sum(j => threshold - 1L);
            long? ownHigh = primary[i] ? threshold - 1 : null;
            var low = Math.Max(primary[i] ? 1 : threshold, othersHigh is { } h ? rest - h : long.MinValue);
            // Partition: the hidden cells sum to exactly `rest`. Overlapping cells: to at least `rest`, so no upper bound follows.
            var high = partition ? Min(ownHigh, rest - othersLow) : ownHigh;
            if (high is { } top && low >= top) return true;
        }
        return false;
    }

    private static long? Min(long? a, long b) => a is { } x ? Math.Min(x, b) : b;
}
