using System.Globalization;
using System.Text;

namespace ReferralNetwork.Application.Features.Statistics;

/// <summary>The statistics as RFC 4180 CSV: one line per cell, then the total. Withheld cells read <c>&lt;5</c> with empty figures.</summary>
public static class StatisticsCsv
{
    public const string MediaType = "text/csv";

    public static string Write(ReferralStatistics statistics)
    {
        var csv = new StringBuilder();
        csv.Append(Line(statistics.GroupBy, "count", "medianHoursToAcknowledge", "medianHoursToAccept", "medianHoursToComplete", "deadlineMissRate"));
        foreach (var cell in statistics.Cells.Append(statistics.Total with { Key = "(total)" }))
            csv.Append(Line(cell.Key, Convert.ToString(cell.Count, CultureInfo.InvariantCulture)!, Number(cell.MedianHoursToAcknowledge),
                Number(cell.MedianHoursToAccept), Number(cell.MedianHoursToComplete), Number(cell.DeadlineMissRate)));
        return csv.ToString();
    }

    private static string Number(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? "";

    private static string Line(params string[] fields) => string.Join(',', fields.Select(Field)) + "\r\n";

    private static string Field(string value)
    {
        // A spreadsheet would run a leading = + - @ as a formula (municipality names come from the directory).
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' && !double.TryParse(value, CultureInfo.InvariantCulture, out _)) value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
