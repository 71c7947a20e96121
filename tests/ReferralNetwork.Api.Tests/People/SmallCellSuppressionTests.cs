using CsCheck;
using ReferralNetwork.Application.Features.Statistics;

namespace ReferralNetwork.Api.Tests.People;

/// <summary>The suppression rule on its own: examples, then a property over random tables.</summary>
public sealed class SmallCellSuppressionTests
{
    [Theory]
    [InlineData(new[] { 7, 6 }, 13, new bool[] { false, false })]                    // nothing small: nothing hidden
    [InlineData(new[] { 10, 7, 3 }, 20, new[] { false, true, true })]                // one small cell: the next smallest goes too
    [InlineData(new[] { 7, 6, 2 }, 15, new[] { false, true, true })]
    [InlineData(new[] { 10, 3, 3 }, 16, new[] { false, true, true })]                // 3+3=6: each could be 2, 3 or 4
    [InlineData(new[] { 10, 1, 1 }, 12, new[] { true, true, true })]                 // 1+1=2: both must be 1
    [InlineData(new[] { 10, 4, 4 }, 18, new[] { true, true, true })]                 // 4+4=8: both must be 4
    [InlineData(new[] { 20, 5, 1 }, 26, new[] { true, true, true })]                 // 5 and 1 hidden sum to 6: the 1 is pinned
    [InlineData(new[] { 30, 9, 8, 2 }, 49, new[] { false, false, true, true })]
    [InlineData(new[] { 3, 1 }, 4, new[] { true, true })]                            // the total itself is small
    public void Partitions(int[] counts, int total, bool[] expected) =>
        Assert.Equal(expected, SmallCellSuppression.Suppress(counts, total, partition: true));

    [Fact]
    public void Overlapping_cells_still_never_leave_one_cell_hidden_alone()
    {
        // Six referrals, all for legal aid, four also for healthcare: a service table's cells overlap.
        Assert.Equal([true, true], SmallCellSuppression.Suppress([6, 4], 6, partition: false));
        // Cells that sum to no less than 8 over two hidden cells of at most 4 each: both are 4.
        Assert.Equal([true, true, true], SmallCellSuppression.Suppress([10, 4, 4], 18, partition: false));
        Assert.Equal([false, true, true], SmallCellSuppression.Suppress([10, 3, 3], 16, partition: false));
    }

    [Fact]
    public void No_hidden_cell_of_a_random_table_can_be_derived_from_the_total_and_the_visible_cells()
    {
        Gen.Int[1, 30].Array[1, 7].Sample(counts =>
        {
            var total = counts.Sum();
            var hidden = SmallCellSuppression.Suppress(counts, total, partition: true);
            Assert.All(counts.Select((c, i) => (c, i)).Where(x => x.c < SmallCellSuppression.Threshold), x => Assert.True(hidden[x.i]));
            if (total < SmallCellSuppression.Threshold) return; // the total is withheld too
            // With every cell withheld only the total is left, which every other grouping of the same referrals shows too:
            // nothing more can be hidden (e.g. [5, 1]: the table shows just "6 referrals").
            if (hidden.All(h => h)) return;
            var hiddenCells = Enumerable.Range(0, counts.Length).Where(i => hidden[i]).ToList();
            Assert.NotEqual(1, hiddenCells.Count);
            var rest = total - Enumerable.Range(0, counts.Length).Where(i => !hidden[i]).Sum(i => counts[i]);
            // What an attacker knows of each hidden cell: small ones are 1..4, the others 5..total.
            (int Low, int High) Bounds(int i) => counts[i] < SmallCellSuppression.Threshold ? (1, SmallCellSuppression.Threshold - 1) : (SmallCellSuppression.Threshold, total);
            foreach (var i in hiddenCells)
            {
                var others = hiddenCells.Where(j => j != i).Select(Bounds).ToList();
                var (low, high) = Bounds(i);
                var possible = Enumerable.Range(low, high - low + 1)
                    .Count(v => rest - v >= others.Sum(o => o.Low) && rest - v <= others.Sum(o => o.High));
                Assert.True(possible >= 2, $"cell {i} of [{string.Join(", ", counts)}] (hidden: {string.Join(", ", hiddenCells)}) can be derived");
            }
        }, iter: 5_000);
    }

    [Theory]
    [InlineData(0, "0-13")]
    [InlineData(13, "0-13")]
    [InlineData(14, "14-17")]
    [InlineData(17, "14-17")]
    [InlineData(18, "18-25")]
    [InlineData(25, "18-25")]
    [InlineData(26, "26-59")]
    [InlineData(59, "26-59")]
    [InlineData(60, "60+")]
    public void Age_bands(int age, string band) => Assert.Equal(band, StatisticsDimensions.AgeBand(age));
}
