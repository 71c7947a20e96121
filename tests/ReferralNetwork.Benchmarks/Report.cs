using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ReferralNetwork.Benchmarks;

public sealed record Target(string Name, string Provider, string Outcome, string Figure);

/// <summary>The table, the targets of issue 9 with met/missed, and the JSON document.</summary>
public sealed class Report
{
    public const string FloorB = "floor (b) GET /health/live";
    public const string FloorASequential = "floor (a) submit rows, 1 connection";
    public static string FloorAConcurrent(int n) => $"floor (a) submit rows, {n} connections";

    public required Options Options { get; init; }
    public required Dictionary<string, object?> Setup { get; init; }
    public List<RunResult> Runs { get; } = [];
    public List<Target> Targets { get; } = [];
    public VerifyResult? Verify { get; set; }

    public sealed record VerifyResult(bool Available, string? Note, long EventsChecked, double Seconds, double? ServerMilliseconds, bool? Valid, long? PeakRssBytes,
        double? ServerCpuSeconds = null)
    {
        public double EventsPerSecond => Seconds > 0 ? EventsChecked / Seconds : 0;
    }

    public RunResult? Find(string name) => Runs.FirstOrDefault(r => r.Name == name && !r.NotAvailable);

    public void ComputeRatios()
    {
        var b = Find(FloorB);
        var aSeq = Find(FloorASequential);
        var aConc = Find(FloorAConcurrent(Options.Connections));
        foreach (var run in Runs.Where(r => !r.NotAvailable && !r.Name.StartsWith("floor", StringComparison.Ordinal)))
        {
            if (aSeq is { RequestsPerSecond: > 0 }) run.Ratios["floorA_sequential"] = run.RequestsPerSecond / aSeq.RequestsPerSecond;
            if (aConc is { RequestsPerSecond: > 0 }) run.Ratios["floorA_concurrent"] = run.RequestsPerSecond / aConc.RequestsPerSecond;
            if (b is { RequestsPerSecond: > 0 }) run.Ratios["floorB"] = run.RequestsPerSecond / b.RequestsPerSecond;
        }
    }

    public void Evaluate()
    {
        var provider = Options.Provider;
        var submit = Find("submit");
        var accept = Find("accept (acknowledge + accept)");
        var first = Find("inbox first page");
        var deep = Find("inbox page 500 deep");
        var trail = Find("trail");

        void Add(string name, string forProvider, RunResult? run, Func<RunResult, bool> met, Func<RunResult, string> figure, string? missing = null)
        {
            if (forProvider != "any" && forProvider != provider)
                Targets.Add(new Target(name, forProvider, "n/a", $"a {forProvider} target; this run is {provider}"));
            else if (run is null)
                Targets.Add(new Target(name, forProvider, "n/a", missing ?? "not measured in this run"));
            else
                Targets.Add(new Target(name, forProvider, met(run) ? "met" : "missed", figure(run)));
        }

        var conns = Options.Connections;
        var unavailable = (string name) => Runs.FirstOrDefault(r => r.Name == name && r.NotAvailable)?.Note;
        var aSeq = Find(FloorASequential);
        var floorB = Find(FloorB);
        Add("submit ≥ 2,000 req/s", "sqlite", submit, r => r.RequestsPerSecond >= 2000, r => $"{F0(r.RequestsPerSecond)} req/s");
        Add("submit p99 ≤ 25 ms", "sqlite", submit, r => r.P99 <= 25, r => $"p99 {F1(r.P99)} ms");
        Add("submit ≥ 1.1× floor (a) on one connection", "sqlite", submit is null || aSeq is null ? null : submit,
            r => r.RequestsPerSecond >= 1.1 * aSeq!.RequestsPerSecond,
            r => $"{r.RequestsPerSecond / aSeq!.RequestsPerSecond:F2}× ({F0(r.RequestsPerSecond)} req/s vs {F0(aSeq.RequestsPerSecond)} tx/s)");
        Add("submit server CPU ≤ 0.8 ms per request", "sqlite", submit is { ServerCpuMicrosPerRequest: not null } ? submit : null,
            r => r.ServerCpuMicrosPerRequest <= 800, r => $"{F0(r.ServerCpuMicrosPerRequest!.Value)} µs per request");
        Add("accept ≥ 2,500 req/s", "sqlite", accept, r => r.RequestsPerSecond >= 2500,
            r => $"{F0(r.RequestsPerSecond)} req/s ({F0(r.RequestsPerSecond / 2)} acknowledge+accept pairs/s)", unavailable("accept (acknowledge + accept)"));
        Add("inbox first page ≥ 5,000 req/s", "sqlite", first, r => r.RequestsPerSecond >= 5000, r => $"{F0(r.RequestsPerSecond)} req/s");
        Add("inbox first page p99 ≤ 10 ms", "sqlite", first, r => r.P99 <= 10, r => $"p99 {F1(r.P99)} ms");
        Add("inbox first page ≥ 12 % of floor (b)", "sqlite", first is null || floorB is null ? null : first,
            r => r.RequestsPerSecond >= 0.12 * floorB!.RequestsPerSecond,
            r => $"{Pct(r.RequestsPerSecond / floorB!.RequestsPerSecond)} ({F0(r.RequestsPerSecond)} of {F0(floorB.RequestsPerSecond)} req/s)");
        Add("inbox page 500 deep no slower than 2× the first", "any", first is null || deep is null ? null : deep,
            r => r.RequestsPerSecond * 2 >= first!.RequestsPerSecond && r.P50 <= 2 * first.P50,
            r => $"{F0(r.RequestsPerSecond)} vs {F0(first!.RequestsPerSecond)} req/s, p50 {F1(r.P50)} vs {F1(first.P50)} ms");
        Add("trail p99 ≤ 10 ms", "sqlite", trail, r => r.P99 <= 10, r => $"p99 {F1(r.P99)} ms", unavailable("trail"));
        Add("PostgreSQL: submit ≥ 1,500 req/s", "postgres", submit, r => r.RequestsPerSecond >= 1500, r => $"{F0(r.RequestsPerSecond)} req/s");
        Add("PostgreSQL: submit ≥ 1.1× its floor (a) on one connection", "postgres", submit is null || aSeq is null ? null : submit,
            r => r.RequestsPerSecond >= 1.1 * aSeq!.RequestsPerSecond,
            r => $"{r.RequestsPerSecond / aSeq!.RequestsPerSecond:F2}× ({F0(r.RequestsPerSecond)} req/s vs {F0(aSeq.RequestsPerSecond)} tx/s)");
        Add("PostgreSQL: inbox first page p99 ≤ 15 ms", "postgres", first, r => r.P99 <= 15, r => $"p99 {F1(r.P99)} ms");

        var apiRuns = Runs.Where(r => !r.NotAvailable && !r.Name.StartsWith("floor (a)", StringComparison.Ordinal)).ToList();
        var peak = apiRuns.Select(r => r.PeakRssBytes ?? 0).Append(Verify?.PeakRssBytes ?? 0).Max();
        Targets.Add(new Target("server peak RSS ≤ 300 MB", "any", peak <= 300L * 1024 * 1024 ? "met" : "missed",
            $"{Mb(peak)} MB (highest VmHWM of any scenario)"));
        var errors = apiRuns.Where(r => !r.Name.StartsWith("floor", StringComparison.Ordinal)).Sum(r => r.Errors);
        var requests = apiRuns.Where(r => !r.Name.StartsWith("floor", StringComparison.Ordinal)).Sum(r => r.Requests);
        Targets.Add(new Target("zero errors", "any", errors == 0 ? "met" : "missed", $"{errors:N0} errors in {requests:N0} requests"));
        if (Verify is { Available: true } verify)
            Targets.Add(new Target("verify ≥ 200,000 events/s", "any", verify.EventsPerSecond >= 200_000 && verify.Valid != false ? "met" : "missed",
                $"{F0(verify.EventsPerSecond)} events/s ({verify.EventsChecked:N0} events in {verify.Seconds:F1} s{(verify.Valid == false ? "; NOT VALID" : "")})"));
        else Targets.Add(new Target("verify ≥ 200,000 events/s", "any", "n/a", Verify?.Note ?? "not measured in this run"));
    }

    public void Print(TextWriter o)
    {
        o.WriteLine();
        o.WriteLine("RESULTS");
        foreach (var (key, value) in Setup) o.WriteLine($"  {key}: {value}");
        o.WriteLine();
        var header = $"  {"scenario",-38} {"req/s",9} {"p50 ms",8} {"p95 ms",8} {"p99 ms",8} {"max ms",8} {"errors",7} {"peak RSS",9} {"srv cpu",8} {"µs/req",7} {"drv cpu",8} {"÷floor(a)1",10} {"÷floor(a)N",10} {"÷floor(b)",9}";
        o.WriteLine(header);
        o.WriteLine("  " + new string('-', header.Length - 2));
        foreach (var r in Runs)
        {
            if (r.NotAvailable)
            {
                o.WriteLine($"  {r.Name,-38} {r.Note}");
                continue;
            }
            string Ratio(string key) => r.Ratios.TryGetValue(key, out var x) ? Pct(x) : "";
            o.WriteLine($"  {r.Name,-38} {F0(r.RequestsPerSecond),9} {F1(r.P50),8} {F1(r.P95),8} {F1(r.P99),8} {F1(r.Max),8} {r.Errors,7:N0} " +
                $"{(r.PeakRssBytes is { } p ? Mb(p) + " MB" : ""),9} {(r.ServerCpu is { } s ? Pct(s) : ""),8} {(r.ServerCpuMicrosPerRequest is { } us ? F0(us) : ""),7} {(r.DriverCpu is { } d ? Pct(d) : ""),8} " +
                $"{Ratio("floorA_sequential"),10} {Ratio("floorA_concurrent"),10} {Ratio("floorB"),9}");
        }
        if (Verify is { } v)
        {
            o.WriteLine(v.Available
                ? $"  {"verify (GET /audit/verify, all events)",-38} {F0(v.EventsPerSecond) + " events/s",-20} {v.EventsChecked:N0} events in {v.Seconds:F2} s" +
                  $"{(v.ServerMilliseconds is { } ms ? $" (server says {ms:N0} ms)" : "")}, valid: {v.Valid?.ToString() ?? "?"}" +
                  $"{(v.PeakRssBytes is { } p ? $", peak RSS {Mb(p)} MB" : "")}" +
                  $"{(v.ServerCpuSeconds is { } cpu && cpu > 0 ? $", server CPU {cpu:F1} s ({F0(v.EventsChecked / cpu)} events per CPU-second)" : "")}"
                : $"  {"verify (GET /audit/verify, all events)",-38} {v.Note}");
        }
        o.WriteLine();
        o.WriteLine("  Columns: req/s counts every HTTP request of the measured window (accept: acknowledge and accept are two); latency");
        o.WriteLine("  is send → last byte at the driver; errors are non-2xx answers and transport failures; peak RSS is the server's");
        o.WriteLine("  VmHWM, reset before each scenario; srv cpu / drv cpu: CPU time ÷ wall time of the API process and of this driver");
        o.WriteLine("  (100 % = one of the cores); µs/req: the server's CPU time per request over the whole run, warm-up included (less");
        o.WriteLine("  sensitive to other load on the machine); ÷floor(a)1, ÷floor(a)N: req/s ÷ floor (a)'s transactions/s on one connection");
        o.WriteLine($"  and at the same concurrency ({Options.Connections}); ÷floor(b): req/s ÷ the constant endpoint's req/s.");
        foreach (var r in Runs.Where(r => !r.NotAvailable && (r.Note is not null || r.Extra.Count > 0)))
            o.WriteLine($"  {r.Name}: {string.Join("; ", new[] { r.Note }.Concat(r.Extra.Select(e => $"{e.Key} {e.Value}")).Where(x => x is not null))}");
        foreach (var r in Runs.Where(r => r.ErrorSamples.Count > 0))
        {
            o.WriteLine($"  errors of {r.Name} (statuses: {string.Join(", ", r.Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}):");
            foreach (var e in r.ErrorSamples) o.WriteLine($"    {e}");
        }
        o.WriteLine();
        o.WriteLine("TARGETS (issue 20)");
        foreach (var t in Targets)
            o.WriteLine($"  [{t.Outcome,-6}] {t.Name,-52} {t.Figure}");
        o.WriteLine();
    }

    public string ToJson() => JsonSerializer.Serialize(new
    {
        options = new
        {
            Options.Provider, Options.Connections, durationSeconds = Options.Duration.TotalSeconds, warmupSeconds = Options.Warmup.TotalSeconds,
            Options.Referrals, Options.InboxReferrals, Options.Organisations, Options.Scenarios,
        },
        setup = Setup,
        runs = Runs.Select(r => new
        {
            r.Name, r.NotAvailable, r.Note, r.Requests, r.Errors, r.Seconds, requestsPerSecond = r.RequestsPerSecond,
            latencyMs = new { p50 = r.P50, p95 = r.P95, p99 = r.P99, max = r.Max },
            r.PeakRssBytes, serverCpuCores = r.ServerCpu, serverCpuMicrosPerRequest = r.ServerCpuMicrosPerRequest, driverCpuCores = r.DriverCpu, ratios = r.Ratios,
            statuses = r.Statuses.ToDictionary(s => s.Key.ToString(CultureInfo.InvariantCulture), s => s.Value), r.ErrorSamples, r.Extra,
        }),
        verify = Verify is null ? null : new
        {
            Verify.Available, Verify.Note, Verify.EventsChecked, Verify.Seconds, Verify.ServerMilliseconds, Verify.Valid, eventsPerSecond = Verify.EventsPerSecond,
            Verify.PeakRssBytes, Verify.ServerCpuSeconds,
        },
        targets = Targets,
    }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static string F0(double x) => x.ToString("N0", CultureInfo.InvariantCulture);
    public static string F1(double x) => x.ToString(x < 100 ? "F1" : "N0", CultureInfo.InvariantCulture);
    public static string Pct(double x) => (x * 100).ToString(x < 0.1 ? "F1" : "F0", CultureInfo.InvariantCulture) + " %";
    public static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F0", CultureInfo.InvariantCulture);

    public static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    public static string Describe(StringBuilder sb) => sb.ToString();
}
