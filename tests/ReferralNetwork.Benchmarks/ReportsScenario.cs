using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace ReferralNetwork.Benchmarks;

/// <summary>
/// Issue 18: network-wide report queries on the bulk-loaded network — statistics (by service) and indicators (by
/// organisation) for the busiest complete quarter — once alone and then eight at once, each with the API process's
/// peak resident set (VmHWM, reset before each step). The per-key report limit is raised to 8 for this run
/// (<c>Reports__ConcurrentQueriesPerKey</c>), or six of the eight would be 429s: the point is the cost of the query.
/// </summary>
public static class ReportsScenario
{
    public const string Environment = "Reports__ConcurrentQueriesPerKey";
    public const int Concurrent = 8;

    public static async Task RunAsync(ApiHost api, string auditorKey, DateTimeOffset now, TextWriter log, IDictionary<string, object?> setup)
    {
        // The quarter before the current one: whole, and inside the year of generated referrals.
        var previous = now.AddMonths(-3).UtcDateTime;
        var period = $"{previous.Year}-Q{(previous.Month - 1) / 3 + 1}";
        using var client = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", auditorKey);
        foreach (var (name, path) in new[]
        {
            ("statistics", $"/api/v1/statistics/referrals?period={period}&groupBy=service"),
            ("indicators", $"/api/v1/reports/indicators?period={period}&groupBy=organisation"),
        })
        {
            await GetAsync(client, path); // warm: the first call also JIT-compiles the handler
            foreach (var callers in new[] { 1, Concurrent })
            {
                var reset = api.ResetPeak();
                var before = api.Memory().CurrentBytes;
                var watch = Stopwatch.StartNew();
                var times = await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => GetAsync(client, path)));
                watch.Stop();
                var peak = api.Memory().PeakBytes;
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"{name} {period} network-wide, {callers} at once: {times.Max():F0} ms slowest, {times.Average():F0} ms mean, {watch.Elapsed.TotalMilliseconds:F0} ms wall; " +
                    $"RSS before {before / 1048576.0:F0} MB, peak {peak / 1048576.0:F0} MB{(reset ? "" : " (peak since start: clear_refs refused)")}");
                log.WriteLine("  " + line);
                setup[$"reports: {name}, {callers} at once"] = line;
            }
        }
    }

    private static async Task<double> GetAsync(HttpClient client, string path)
    {
        var watch = Stopwatch.StartNew();
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {body[..Math.Min(300, body.Length)]}");
        return watch.Elapsed.TotalMilliseconds;
    }
}
