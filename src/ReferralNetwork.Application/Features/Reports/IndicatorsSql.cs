using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Statistics;

namespace ReferralNetwork.Application.Features.Reports;

/// <summary>Counts of one period that count people: they go through <see cref="IndicatorsProtection"/> before anything is published.</summary>
public sealed record IndicatorCounts(
    IReadOnlyDictionary<string, int> Sent,
    IReadOnlyDictionary<string, int> Received,
    IReadOnlyDictionary<(string Key, string Code), int> Outcomes,
    IReadOnlyDictionary<(string Key, string Code), int> DeclineReasons);

public sealed record MeasuredDurations(int Count, double Median, double P90);

public sealed record DutyCounts(int Counted, int OnTime);

/// <summary>
/// The indicator queries. The database aggregates everything — counts with GROUP BY, median and 90th percentile with
/// window functions (ROW_NUMBER and COUNT over the group, then the middle and the nearest-rank row), which all three
/// engines have — so the process holds one row per group and code, never one per referral.
/// </summary>
public sealed class IndicatorsSql(IDbSession session, IndicatorGrouping grouping, Guid? organisation, DateTimeOffset now)
{
    private static readonly string OutcomeCode = StatisticsDimensions.All["outcome"].Key;

    // Classes with setters, not positional records: Dapper then converts SQLite's Int64 to int.
    private sealed class KeyCount
    {
        public object Key { get; init; } = "";
        public string Code { get; init; } = "";
        public int Count { get; init; }
        public int OnTime { get; init; }
    }

    private sealed class KeyDuration
    {
        public object Key { get; init; } = "";
        public int Count { get; init; }
        public double Median { get; init; }
        public double P90 { get; init; }
    }

    private sealed class Named
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
    }

    /// <summary>Guids (PostgreSQL, SQL Server) and text (SQLite) alike as the lower-case text of the id or the code.</summary>
    private static string KeyText(object key) => key is Guid id ? id.ToString() : Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture)!;

    public async Task<IndicatorCounts> CountsAsync(ReportPeriod period, CancellationToken ct)
    {
        var sent = await CountAsync(grouping.SentKey, "''", "1 = 1", period, ct);
        var received = grouping.SentKey == grouping.ReceivedKey ? sent : await CountAsync(grouping.ReceivedKey, "''", "1 = 1", period, ct);
        var outcomes = await CountAsync(grouping.ReceivedKey, OutcomeCode, "1 = 1", period, ct);
        var reasons = await CountAsync(grouping.ReceivedKey, "COALESCE(r.decline_reason, 'other')", "r.status = 'rejected'", period, ct);
        return new IndicatorCounts(sent.ToDictionary(kv => kv.Key.Key, kv => kv.Value, StringComparer.Ordinal),
            received.ToDictionary(kv => kv.Key.Key, kv => kv.Value, StringComparer.Ordinal), outcomes, reasons);
    }

    /// <summary>Hours from submission to <paramref name="until"/> over the referrals received in the period that satisfy <paramref name="condition"/>.</summary>
    public async Task<IReadOnlyDictionary<string, MeasuredDurations>> DurationsAsync(string until, string condition, ReportPeriod period, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = await connection.QueryAsync<KeyDuration>(new CommandDefinition($"""
            SELECT k AS "Key", CAST(MAX(n) AS INTEGER) AS "Count",
                   AVG(CASE WHEN rn = (n + 1) / 2 OR rn = (n + 2) / 2 THEN h END) AS "Median",
                   MAX(CASE WHEN rn = (9 * n + 9) / 10 THEN h END) AS "P90"
            FROM (SELECT k, h, ROW_NUMBER() OVER (PARTITION BY k ORDER BY h) AS rn, COUNT(*) OVER (PARTITION BY k) AS n
                  FROM (SELECT {grouping.ReceivedKey} AS k, {session.Dialect.HoursBetween("r.created_at", until)} AS h
                        {ReferralsOf(grouping.ReceivedKey, period)} AND {until} IS NOT NULL AND {condition}) measured) ranked
            GROUP BY k
            """, Parameters(period), session.Transaction, cancellationToken: ct));
        return rows.ToDictionary(r => KeyText(r.Key), r => new MeasuredDurations(r.Count, Math.Round(r.Median, 2), Math.Round(r.P90, 2)), StringComparer.Ordinal);
    }

    /// <summary>
    /// Duties due in the period by holder and kind: those that counted (not discharged unbreached — no longer owed — and
    /// not still open before their due time) and those of them met by their due time without a breach.
    /// </summary>
    public async Task<IReadOnlyDictionary<(string Key, string Code), DutyCounts>> DutiesAsync(ReportPeriod period, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = await connection.QueryAsync<KeyCount>(new CommandDefinition($"""
            SELECT {grouping.DutyKey} AS "Key", d.deadline AS "Code", CAST(COUNT(*) AS INTEGER) AS "Count",
                   CAST(SUM(CASE WHEN d.closed_basis = 'met' AND d.breached_at IS NULL AND d.closed_at <= d.due_at THEN 1 ELSE 0 END) AS INTEGER) AS "OnTime"
            FROM referral_duties d
            JOIN referrals r ON r.id = d.referral_id
            {grouping.Join}
            WHERE d.due_at >= @From AND d.due_at < @To
              AND NOT (d.closed_basis = 'discharged' AND d.breached_at IS NULL)
              AND (d.closed_at IS NOT NULL OR d.breached_at IS NOT NULL OR d.due_at <= @Now){HeldBy(grouping.DutyKey, "d.holder_organisation_id")}
            GROUP BY {grouping.DutyKey}, d.deadline
            """, Parameters(period), session.Transaction, cancellationToken: ct));
        return rows.ToDictionary(r => (KeyText(r.Key), r.Code), r => new DutyCounts(r.Count, r.OnTime));
    }

    /// <summary>Breaches of duties due in the period, by holder and kind.</summary>
    public async Task<IReadOnlyDictionary<(string Key, string Code), int>> BreachesAsync(ReportPeriod period, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = await connection.QueryAsync<KeyCount>(new CommandDefinition($"""
            SELECT {grouping.BreachKey} AS "Key", b.deadline AS "Code", CAST(COUNT(*) AS INTEGER) AS "Count"
            FROM deadline_breaches b
            JOIN referrals r ON r.id = b.referral_id
            {grouping.Join}
            WHERE b.due_at >= @From AND b.due_at < @To{HeldBy(grouping.BreachKey, grouping.ByOrganisation ? grouping.BreachKey : "COALESCE(b.holder_organisation_id, b.responsible_organisation_id)")}
            GROUP BY {grouping.BreachKey}, b.deadline
            """, Parameters(period), session.Transaction, cancellationToken: ct));
        return rows.ToDictionary(r => (KeyText(r.Key), r.Code), r => r.Count);
    }

    public async Task<IReadOnlyDictionary<string, string>> OrganisationNamesAsync(CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = await connection.QueryAsync<Named>(new CommandDefinition(
            organisation is null ? "SELECT id AS Id, name AS Name FROM organisations" : "SELECT id AS Id, name AS Name FROM organisations WHERE id = @Org",
            new { Org = organisation }, session.Transaction, cancellationToken: ct));
        return rows.ToDictionary(r => r.Id.ToString(), r => r.Name, StringComparer.Ordinal);
    }

    private async Task<Dictionary<(string Key, string Code), int>> CountAsync(string key, string code, string condition, ReportPeriod period, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = await connection.QueryAsync<KeyCount>(new CommandDefinition($"""
            SELECT k AS "Key", c AS "Code", CAST(COUNT(*) AS INTEGER) AS "Count"
            FROM (SELECT {key} AS k, {code} AS c {ReferralsOf(key, period)} AND {condition}) keyed
            GROUP BY k, c
            """, Parameters(period), session.Transaction, cancellationToken: ct));
        return rows.ToDictionary(r => (KeyText(r.Key), r.Code), r => r.Count);
    }

    /// <summary>The referrals submitted in the period; for an organisation, by organisation its own row, else the referrals it sent or received.</summary>
    private string ReferralsOf(string key, ReportPeriod period) => $"""
        FROM referrals r
        {grouping.Join}
        WHERE r.created_at >= @From AND r.created_at < @To{(organisation is null ? ""
            : grouping.ByOrganisation ? $" AND {key} = @Org" : " AND (r.referrer_organisation_id = @Org OR r.receiver_organisation_id = @Org)")}
        """;

    /// <summary>An organisation sees the duties and breaches it holds.</summary>
    private string HeldBy(string key, string holder) => organisation is null ? "" : $" AND {(grouping.ByOrganisation ? key : holder)} = @Org";

    private DynamicParameters Parameters(ReportPeriod period)
    {
        var parameters = new DynamicParameters();
        parameters.Add("From", period.From);
        parameters.Add("To", period.To);
        parameters.Add("Now", now);
        parameters.Add("Year", period.Year);
        if (organisation is { } org) parameters.Add("Org", org);
        return parameters;
    }
}
