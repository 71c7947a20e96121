using System.Globalization;

namespace ReferralNetwork.Application.Features.Statistics;

/// <summary>
/// RFC 4180 CSV fields and lines for report exports (the API's ReportTable writes statistics and indicators with them),
/// guarded against formula injection.
/// </summary>
public static class StatisticsCsv
{
    public static string Number(double? value) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? "";

    public static string Line(params string[] fields) => string.Join(',', fields.Select(Field)) + "\r\n";

    public static string Field(string value)
    {
        // A spreadsheet would run a leading = + - @ as a formula (municipality names come from the directory).
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' && !double.TryParse(value, CultureInfo.InvariantCulture, out _)) value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
