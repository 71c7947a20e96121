using System.Globalization;
using System.Text.RegularExpressions;

namespace ReferralNetwork.Application.Features.Statistics;

/// <summary>
/// A reporting period: a whole calendar month (<c>2026-11</c>) or quarter (<c>2026-Q4</c>), UTC, and nothing else.
/// Arbitrary instants let a caller split a range until one referral is alone in it (the differencing attack on the old
/// <c>from</c>/<c>to</c>); whole months cannot be narrowed, and a quarter is published only as what its three months
/// already reveal (<see cref="GetReferralStatisticsHandler"/>).
/// </summary>
public sealed partial record ReportPeriod(string Code, int Year, int FirstMonth, int MonthCount)
{
    public const string AcceptedForms = "a calendar month yyyy-MM (e.g. 2026-11) or a quarter yyyy-Qn (e.g. 2026-Q4), years 1900–2999";

    public DateTimeOffset From => new(Year, FirstMonth, 1, 0, 0, 0, TimeSpan.Zero);
    public DateTimeOffset To => From.AddMonths(MonthCount);
    public bool IsQuarter => MonthCount == 3;

    /// <summary>The months that make up the period (one for a month).</summary>
    public IReadOnlyList<ReportPeriod> Months => Enumerable.Range(FirstMonth, MonthCount)
        .Select(m => new ReportPeriod($"{Year:D4}-{m:D2}", Year, m, 1)).ToList();

    public static bool TryParse(string? value, out ReportPeriod period)
    {
        period = null!;
        if (value is null) return false;
        var month = MonthForm().Match(value);
        if (month.Success)
        {
            var (year, m) = (int.Parse(month.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(month.Groups[2].Value, CultureInfo.InvariantCulture));
            if (year is < 1900 or > 2999 || m is < 1 or > 12) return false;
            period = new ReportPeriod($"{year:D4}-{m:D2}", year, m, 1);
            return true;
        }
        var quarter = QuarterForm().Match(value);
        if (!quarter.Success) return false;
        var (qYear, q) = (int.Parse(quarter.Groups[1].Value, CultureInfo.InvariantCulture), quarter.Groups[2].Value[0] - '0');
        if (qYear is < 1900 or > 2999) return false;
        period = new ReportPeriod($"{qYear:D4}-Q{q}", qYear, 3 * (q - 1) + 1, 3);
        return true;
    }

    /// <summary>The month or quarter holding a time.</summary>
    public static ReportPeriod MonthOf(DateTimeOffset time) =>
        new($"{time.UtcDateTime.Year:D4}-{time.UtcDateTime.Month:D2}", time.UtcDateTime.Year, time.UtcDateTime.Month, 1);

    /// <summary>The wire form of a period (a month or a quarter), as the contract states it.</summary>
    public const string Pattern = "^[0-9]{4}-([0-9]{2}|Q[1-4])$";

    [GeneratedRegex(@"^([0-9]{4})-([0-9]{2})$")]
    private static partial Regex MonthForm();

    [GeneratedRegex(@"^([0-9]{4})-Q([1-4])$")]
    private static partial Regex QuarterForm();
}
