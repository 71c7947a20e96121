namespace ReferralNetwork.Application.Features.Common;

/// <summary>
/// The times a caller may name anywhere (query, path, body, cursor): 1900-01-01 up to, not including, 3000-01-01 UTC.
/// Far wider than any real referral, consent or report period, and far enough inside what .NET and every supported
/// database can hold (0001–9999) that no arithmetic on a given time — a day added to a date-only <c>to</c>, a protocol
/// deadline added to a submission, an offset converted to UTC — can overflow into a 500. Outside them: 400.
/// </summary>
public static class TimeBounds
{
    public static readonly DateTimeOffset Earliest = new(1900, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Latest = new(3000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public const string Description = "between 1900-01-01 and 2999-12-31 (UTC)";

    public static bool Contains(DateTimeOffset time) => time >= Earliest && time < Latest;

    public static bool Contains(DateOnly date) => date >= DateOnly.FromDateTime(Earliest.UtcDateTime) && date < DateOnly.FromDateTime(Latest.UtcDateTime);
}
