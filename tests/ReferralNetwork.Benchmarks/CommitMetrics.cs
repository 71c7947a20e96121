using System.Globalization;
using System.Text.RegularExpressions;

namespace ReferralNetwork.Benchmarks;

/// <summary>
/// The group-commit histogram (<c>referralnetwork_db_commit_batch_size</c>) read from the API's own Prometheus endpoint
/// before and after a scenario: how many commits the scenario made, how many commands they carried, and the batch
/// sizes' p50/p99 from the bucket counts (an upper bound: the bucket's edge).
/// </summary>
public sealed partial class CommitMetrics
{
    private readonly SortedDictionary<double, double> _buckets = [];
    public double Count { get; private set; }
    public double Sum { get; private set; }

    /// <summary>HTTP requests the server counted (http.server.request.duration), warm-up included.</summary>
    public double HttpRequests { get; private set; }

    public static async Task<CommitMetrics?> ScrapeAsync(Uri api)
    {
        using var client = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(10) };
        string text;
        try
        {
            text = await client.GetStringAsync("/metrics");
        }
        catch (HttpRequestException)
        {
            return null;
        }
        var metrics = new CommitMetrics();
        foreach (Match m in Line().Matches(text))
        {
            var value = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            switch (m.Groups["kind"].Value)
            {
                case "bucket":
                    var le = m.Groups["le"].Value;
                    var edge = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
                    metrics._buckets[edge] = metrics._buckets.GetValueOrDefault(edge) + value;
                    break;
                case "count": metrics.Count += value; break;
                case "sum": metrics.Sum += value; break;
            }
        }
        foreach (Match m in HttpLine().Matches(text)) metrics.HttpRequests += double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        return metrics;
    }

    /// <summary>What happened between <paramref name="before"/> and <paramref name="after"/> (warm-up included, as the server counts).</summary>
    public static string? Describe(CommitMetrics? before, CommitMetrics? after)
    {
        if (before is null || after is null) return null;
        // The scrape itself is one request.
        var requests = after.HttpRequests - before.HttpRequests - 1;
        var commits = after.Count - before.Count;
        var commands = after.Sum - before.Sum;
        if (commits <= 0) return "no shared commits (group commit off, or no command ran)";
        var cumulative = after._buckets.Select(b => (Edge: b.Key, Count: b.Value - before._buckets.GetValueOrDefault(b.Key))).ToList();
        string Quantile(double q)
        {
            foreach (var (edge, count) in cumulative)
                if (count >= q * commits) return double.IsInfinity(edge) ? "> 128" : $"≤ {edge:0}";
            return "?";
        }
        return $"{commits:N0} commits carried {commands:N0} commands (mean batch {commands / commits:F1}, p50 {Quantile(0.5)}, p99 {Quantile(0.99)}); " +
            $"{commits / Math.Max(1, requests):F2} commits (fsyncs of the WAL) per request";
    }

    [GeneratedRegex("""^http_server_request_duration_seconds_count(\{(?:[^"}]|"[^"]*")*\})? (?<value>[0-9.eE+-]+)""", RegexOptions.Multiline)]
    private static partial Regex HttpLine();

    [GeneratedRegex("""^referralnetwork_db_commit_batch_size_(?<kind>bucket|count|sum)(\{(?:[^}]*le="(?<le>[^"]+)")?(?:[^"}]|"[^"]*")*\})? (?<value>[0-9.eE+-]+)""", RegexOptions.Multiline)]
    private static partial Regex Line();
}
