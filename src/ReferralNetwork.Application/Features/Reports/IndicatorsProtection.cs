using ReferralNetwork.Application.Features.Statistics;

namespace ReferralNetwork.Application.Features.Reports;

/// <summary>A count that counts people: a row's sent or received referrals, or one outcome or decline reason of a row.</summary>
public readonly record struct CountCell(string Row, string Field, string Code = "");

/// <summary>
/// Which indicator counts may be published, with <see cref="SmallCellSuppression"/> applied to every line a reader could
/// add up: each column (sent, received, each outcome code, each decline reason across rows — assuming the reader knows
/// the column's sum, as the network statistics publish it), each row's outcomes (which add up to its received count) and
/// its decline reasons (which add up to its declined count). A line whose total is withheld is withheld whole. Hiding a
/// cell for one line can make another disclosive, so the lines are applied again until nothing more is hidden.
/// A quarter first hides whatever one of its months hides (<see cref="StatisticsProtection"/>'s rule), so "quarter
/// minus two months" recovers nothing a month withholds.
/// </summary>
public static class IndicatorsProtection
{
    public const string Sent = "sent";
    public const string Received = "received";
    public const string Outcomes = "outcomes";
    public const string DeclineReasons = "declineReasons";
    private const string Declined = "rejected";

    public static IReadOnlySet<CountCell> Hidden(IndicatorCounts counts, bool sentIsReceived, IReadOnlySet<CountCell>? forced = null)
    {
        var cells = Cells(counts, sentIsReceived);
        var hidden = new HashSet<CountCell>(cells.Keys.Where(c => forced?.Contains(c) ?? false));
        var lines = Lines(cells, sentIsReceived);
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var (members, total) in lines)
            {
                if (members.Count == 0) continue;
                bool[] hide;
                if (total is { } whole && (hidden.Contains(whole) || !cells.ContainsKey(whole)))
                    hide = members.Select(_ => true).ToArray();
                else
                {
                    var sum = total is { } t ? cells[t] : members.Sum(m => cells[m]);
                    hide = SmallCellSuppression.Suppress(members.Select(m => cells[m]).ToList(), sum, partition: true,
                        forced: members.Select(hidden.Contains).ToList());
                }
                for (var i = 0; i < members.Count; i++)
                    changed |= hide[i] && hidden.Add(members[i]);
            }
        }
        return hidden;
    }

    private static Dictionary<CountCell, int> Cells(IndicatorCounts counts, bool sentIsReceived)
    {
        var cells = new Dictionary<CountCell, int>();
        foreach (var (row, count) in counts.Sent.Where(kv => kv.Value > 0)) cells[new CountCell(row, Sent)] = count;
        if (!sentIsReceived)
            foreach (var (row, count) in counts.Received.Where(kv => kv.Value > 0)) cells[new CountCell(row, Received)] = count;
        foreach (var ((row, code), count) in counts.Outcomes.Where(kv => kv.Value > 0)) cells[new CountCell(row, Outcomes, code)] = count;
        foreach (var ((row, code), count) in counts.DeclineReasons.Where(kv => kv.Value > 0)) cells[new CountCell(row, DeclineReasons, code)] = count;
        return cells;
    }

    /// <summary>The cell a row's received count is published as (its sent cell when the two are one number).</summary>
    public static CountCell ReceivedOf(string row, bool sentIsReceived) => new(row, sentIsReceived ? Sent : Received);

    /// <summary>Every line a reader can add up, its members in a fixed order (never by size), with the cell its members add up to (null: their sum).</summary>
    private static List<(List<CountCell> Members, CountCell? Total)> Lines(Dictionary<CountCell, int> cells, bool sentIsReceived)
    {
        static List<CountCell> Ordered(IEnumerable<CountCell> members) =>
            members.OrderBy(c => c.Row, StringComparer.Ordinal).ThenBy(c => c.Code, StringComparer.Ordinal).ToList();
        var lines = new List<(List<CountCell>, CountCell?)>();
        foreach (var column in cells.Keys.GroupBy(c => (c.Field, c.Code)).OrderBy(g => g.Key.Field, StringComparer.Ordinal).ThenBy(g => g.Key.Code, StringComparer.Ordinal))
            lines.Add((Ordered(column), null));
        foreach (var row in cells.Keys.Select(c => c.Row).Distinct().Order(StringComparer.Ordinal))
        {
            lines.Add((Ordered(cells.Keys.Where(c => c.Row == row && c.Field == Outcomes)), ReceivedOf(row, sentIsReceived)));
            lines.Add((Ordered(cells.Keys.Where(c => c.Row == row && c.Field == DeclineReasons)), new CountCell(row, Outcomes, Declined)));
        }
        return lines;
    }
}
