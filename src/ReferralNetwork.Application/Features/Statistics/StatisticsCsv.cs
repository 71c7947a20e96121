using System.Globalization;
using System.Text;

namespace ReferralNetwork.Application.Features.Statistics;

/// <summary>
/// The statistics as RFC 4180 CSV: one line per published cell, then the total (<c>withheld</c> under the minimum
/// population). Withheld cells are not listed, as in the JSON.
/// </summary>
public static class StatisticsCsv
{
    public const string MediaType = "text/csv";

    public static string Write(ReferralStatistics statistics)
    {
        var csv = new StringBuilder();
        csv.Append(Line(statistics.GroupBy, "count", "medianHoursToAcknowledge", "medianHoursToAccept", "medianHoursToComplete", "deadlineMissRate"));
        foreach (var cell in statistics.Cells)
            csv.Append(Line(cell.Key, cell.Count.ToString(CultureInfo.InvariantCulture), Number(cell.MedianHoursToAcknowledge),
                Number(cell.MedianHoursToAccept), Number(cell.MedianHoursToComplete), Number(cell.DeadlineMissRate)));
        var total = statistics.Total;
        csv.Append(Line("(total)", total.Count?.ToString(CultureInfo.InvariantCulture) ?? "withheld", Number(total.MedianHoursToAcknowledge),
            Number(total.MedianHoursToAccept), Number(total.MedianHoursToComplete), Number(total.DeadlineMissRate)));
        return csv.ToString();
    }

    public static string Number(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? "";

    public static string Line(params string[] fields) => string.Join(',', fields.Select(Field)) + "\r\n";

    public static string Field(string value)
    {
        // A spreadsheet would run a leading = + - @ as a formula (municipality names come from the directory).
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' && !double.TryParse(value, CultureInfo.InvariantCulture, out _)) value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
