namespace ReferralNetwork.Application.Features.Reports;

/// <summary>Median and 90th percentile (nearest rank) of hours, both null when measured over fewer than 5 referrals.</summary>
public sealed record DurationFigures(double? MedianHours, double? P90Hours);

/// <summary>
/// One group's indicators. <see cref="Key"/> is an organisation id (with its directory <see cref="Name"/>), a protocol code
/// or a service code. Counts of referrals (people) are null when withheld; maps list only the codes that are published
/// (a code absent from a map is either none or withheld — <see cref="IndicatorsReport.Suppressed"/> says how many per map).
/// </summary>
public sealed record IndicatorRow(
    string Key,
    string? Name,
    int? Sent,
    int? Received,
    DurationFigures TimeToAcknowledge,
    DurationFigures TimeToDecide,
    DurationFigures TimeToComplete,
    IReadOnlyDictionary<string, double> OnTimeShareByDuty,
    IReadOnlyDictionary<string, int> BreachesByDuty,
    IReadOnlyDictionary<string, int> Outcomes,
    double? RedirectRate,
    double? DeclineRate,
    IReadOnlyDictionary<string, int> DeclineReasons);

/// <summary>What of a row is withheld: a field (<c>sent</c>, <c>timeToAcknowledge</c>, …) or, for a map, how many of its cells.</summary>
public sealed record SuppressedCell(string Row, string Field, int? Cells = null);

/// <summary>
/// Performance indicators for a month or quarter. <see cref="GroupedBy"/>: organisation (as sender, receiver and duty
/// holder), protocol or service; <see cref="Scope"/>: network, or organisation (the caller's own share only).
/// </summary>
public sealed record IndicatorsReport(string Period, DateTimeOffset From, DateTimeOffset To, string GroupedBy, string Scope, int SuppressionThreshold,
    IReadOnlyList<IndicatorRow> Rows, IReadOnlyList<SuppressedCell> Suppressed);
