using System.Globalization;
using System.Text.RegularExpressions;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// The reference a worker reads out on the phone (issue 17): <c>RN-</c>, the year of submission (UTC), and the year's
/// sequence number, at least six digits (<c>RN-2026-004213</c>; the millionth of a year gets seven).
/// </summary>
public static partial class ReferralReference
{
    public static string Format(int year, long number) =>
        string.Create(CultureInfo.InvariantCulture, $"RN-{year:D4}-{number:D6}");

    /// <summary>The canonical form of a search text that is a reference (any case, surrounding spaces), or null.</summary>
    public static string? Normalise(string? text)
    {
        if (text is null) return null;
        var match = Pattern().Match(text.Trim());
        return match.Success
            ? Format(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))
            : null;
    }

    [GeneratedRegex(@"^RN-(\d{4})-(\d{1,9})$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
