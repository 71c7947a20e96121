using ReferralNetwork.Application.Features.Reports;
using ReferralNetwork.Application.Features.Statistics;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Deadlines;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Api.Reports;

/// <summary>The reports as tables, one line per published row; maps become one column per code the contract lists.</summary>
public static class ReportTables
{
    private static readonly string[] Duties = [.. Wire.Codes<DeadlineKind>()];
    private static readonly string[] Outcomes = [.. StatisticsDimensions.All["outcome"].FixedKeys!];
    private static readonly string[] Reasons = [.. Wire.Codes<DeclineReason>()];

    public static ReportTable Of(IndicatorsReport report)
    {
        string[] header =
        [
            report.GroupedBy, "name", "sent", "received",
            "medianHoursToAcknowledge", "p90HoursToAcknowledge", "medianHoursToDecide", "p90HoursToDecide", "medianHoursToComplete", "p90HoursToComplete",
            .. Duties.Select(d => "onTimeShare:" + d), .. Duties.Select(d => "breaches:" + d), .. Outcomes.Select(o => "outcome:" + o),
            "redirectRate", "declineRate", .. Reasons.Select(r => "declineReason:" + r),
        ];
        var rows = report.Rows.Select(r => (IReadOnlyList<object?>)
        [
            r.Key, r.Name, r.Sent, r.Received,
            r.TimeToAcknowledge.MedianHours, r.TimeToAcknowledge.P90Hours, r.TimeToDecide.MedianHours, r.TimeToDecide.P90Hours,
            r.TimeToComplete.MedianHours, r.TimeToComplete.P90Hours,
            .. Duties.Select(d => (object?)(r.OnTimeShareByDuty.TryGetValue(d, out var s) ? s : null)),
            .. Duties.Select(d => (object?)(r.BreachesByDuty.TryGetValue(d, out var b) ? b : null)),
            .. Outcomes.Select(o => (object?)(r.Outcomes.TryGetValue(o, out var c) ? c : null)),
            r.RedirectRate, r.DeclineRate,
            .. Reasons.Select(x => (object?)(r.DeclineReasons.TryGetValue(x, out var c) ? c : null)),
        ]).ToList();
        return new ReportTable($"indicators {report.Period}", header, rows);
    }

    public static ReportTable Of(ReferralStatistics statistics)
    {
        string[] header = [statistics.GroupBy, "count", "medianHoursToAcknowledge", "medianHoursToAccept", "medianHoursToComplete", "deadlineMissRate"];
        var rows = statistics.Cells.Select(c => (IReadOnlyList<object?>)[c.Key, c.Count, c.MedianHoursToAcknowledge, c.MedianHoursToAccept,
            c.MedianHoursToComplete, c.DeadlineMissRate]).ToList();
        var total = statistics.Total;
        rows.Add(["(total)", total.Count is { } n ? n : "withheld", total.MedianHoursToAcknowledge, total.MedianHoursToAccept, total.MedianHoursToComplete,
            total.DeadlineMissRate]);
        return new ReportTable($"statistics {statistics.Period}", header, rows);
    }
}
