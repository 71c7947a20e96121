using Dapper;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Features.Statistics;

public sealed record StatisticsCounts(IReadOnlyDictionary<string, int> ByKey, int Total);

/// <summary>A key's figures: count, medians in hours (null when nothing to measure) and the share with a missed deadline.</summary>
public sealed record StatisticsFigures(int Count, double? Acknowledge, double? Accept, double? Complete, double? MissRate);

/// <summary>
/// The statistics queries. Everything is aggregated by the database (GROUP BY, and medians with window functions), so
/// the process holds one row per key, never one per referral, whatever the size of the network.
/// </summary>
public sealed class StatisticsSql(IDbSession session, ISqlDialect dialect, Guid? organisation)
{
    public const string TotalKey = "(total)";

    // Classes with setters, not positional records: Dapper then converts SQLite's Int64 to int.
    private sealed class KeyCount
    {
        public string Key { get; init; } = "";
        public int Count { get; init; }
        public int Missed { get; init; }
    }

    private sealed class KeyValue
    {
        public string Key { get; init; } = "";
        public double Value { get; init; }
    }

    public async Task<IReadOnlyList<string>> KeysAsync(string sql, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return (await connection.QueryAsync<string>(new CommandDefinition(sql, cancellationToken: ct))).ToList();
    }

    public async Task<StatisticsCounts> CountsAsync(StatisticsDimension dimension, ReportPeriod period, CancellationToken ct)
    {
        var byKey = await GroupedAsync(dimension, period, ct);
        var total = await GroupedAsync(null, period, ct);
        return new StatisticsCounts(byKey.ToDictionary(r => r.Key, r => r.Count, StringComparer.Ordinal), total.SingleOrDefault()?.Count ?? 0);
    }

    /// <summary>Figures per key (<paramref name="dimension"/> null: one row, <see cref="TotalKey"/>).</summary>
    public async Task<IReadOnlyDictionary<string, StatisticsFigures>> FiguresAsync(StatisticsDimension? dimension, ReportPeriod period, CancellationToken ct)
    {
        var counts = await GroupedAsync(dimension, period, ct);
        var acknowledge = await MedianAsync(dimension, period, "r.acknowledged_at", "r.acknowledged_at IS NOT NULL", ct);
        // Decided and accepted (a decline or a redirect also sets decided_at).
        var accept = await MedianAsync(dimension, period, "r.decided_at", "r.decided_at IS NOT NULL AND r.status NOT IN ('rejected', 'redirected')", ct);
        // Ended with an outcome (completed or failed): not cancelled, declined or redirected.
        var complete = await MedianAsync(dimension, period, "r.finished_at", "r.finished_at IS NOT NULL AND r.status IN ('completed', 'failed')", ct);
        static double? Of(Dictionary<string, double> medians, string key) => medians.TryGetValue(key, out var value) ? value : null;
        return counts.ToDictionary(c => c.Key, c => new StatisticsFigures(c.Count, Of(acknowledge, c.Key), Of(accept, c.Key), Of(complete, c.Key),
            c.Count == 0 ? null : Math.Round(c.Missed / (double)c.Count, 3)), StringComparer.Ordinal);
    }

    private async Task<List<KeyCount>> GroupedAsync(StatisticsDimension? dimension, ReportPeriod period, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return (await connection.QueryAsync<KeyCount>(new CommandDefinition($"""
            SELECT k AS "Key", CAST(COUNT(*) AS INTEGER) AS "Count", CAST(SUM(missed) AS INTEGER) AS "Missed"
            FROM (SELECT {KeyOf(dimension)} AS k,
                         CASE WHEN EXISTS (SELECT 1 FROM deadline_breaches b WHERE b.referral_id = r.id) THEN 1 ELSE 0 END AS missed
                  {From(dimension)}) keyed
            GROUP BY k
            """, Parameters(period), cancellationToken: ct))).ToList();
    }

    /// <summary>The median (mean of the two middle values for an even count) of hours from submission to <paramref name="until"/>.</summary>
    private async Task<Dictionary<string, double>> MedianAsync(StatisticsDimension? dimension, ReportPeriod period, string until, string condition,
        CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = await connection.QueryAsync<KeyValue>(new CommandDefinition($"""
            SELECT k AS "Key", AVG(h) AS "Value"
            FROM (SELECT k, h, ROW_NUMBER() OVER (PARTITION BY k ORDER BY h) AS rn, COUNT(*) OVER (PARTITION BY k) AS n
                  FROM (SELECT {KeyOf(dimension)} AS k, {dialect.HoursBetween("r.created_at", until)} AS h {From(dimension)} AND {condition}) measured) ranked
            WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2
            GROUP BY k
            """, Parameters(period), cancellationToken: ct));
        return rows.ToDictionary(r => r.Key, r => Math.Round(r.Value, 2), StringComparer.Ordinal);
    }

    private static string KeyOf(StatisticsDimension? dimension) => dimension?.Key ?? $"'{TotalKey}'";

    private string From(StatisticsDimension? dimension) => $"""
        FROM referrals r
        JOIN persons p ON p.id = r.person_id
        JOIN organisations receiver_org ON receiver_org.id = r.receiver_organisation_id
        JOIN organisations referrer_org ON referrer_org.id = r.referrer_organisation_id
        {dimension?.Join}
        WHERE r.created_at >= @From AND r.created_at < @To{(organisation is null ? "" : " AND (r.referrer_organisation_id = @Org OR r.receiver_organisation_id = @Org)")}
        """;

    private DynamicParameters Parameters(ReportPeriod period)
    {
        var parameters = new DynamicParameters(StatisticsDimensions.VulnerabilityParameters());
        parameters.Add("From", period.From);
        parameters.Add("To", period.To);
        parameters.Add("Year", period.Year);
        if (organisation is { } org) parameters.Add("Org", org);
        return parameters;
    }
}
