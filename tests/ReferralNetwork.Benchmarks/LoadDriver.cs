using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace ReferralNetwork.Benchmarks;

/// <summary>What one timed operation answered: its HTTP status (0 for a transport failure) and the ETag, if any.</summary>
public readonly record struct Answer(int Status, string? ETag)
{
    public bool Ok => Status is >= 200 and < 300;
}

/// <summary>
/// One of the N workers of a run. Every operation it times is recorded if it started inside the measured window
/// (after the warm-up, before the end); an operation that fails (non-2xx, or an exception) is recorded and counted as
/// an error.
/// </summary>
public sealed class Worker
{
    private readonly LoadRun _run;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly byte[] _overflow = new byte[16 * 1024];
    internal readonly List<long> Latencies = new(64 * 1024);
    internal long Errors;
    internal long AllOperations;
    internal readonly Dictionary<int, long> Statuses = [];
    internal readonly List<string> ErrorSamples = [];

    internal Worker(LoadRun run, int index, int seed)
    {
        _run = run;
        Index = index;
        Random = new Random(HashCode.Combine(seed, index));
    }

    public int Index { get; }
    public Random Random { get; }
    public HttpClient Http => _run.Http ?? throw new InvalidOperationException("This run has no HTTP client.");

    /// <summary>Sends a request and reads the whole body; the time is from sending to the last byte.</summary>
    public async Task<Answer> SendAsync(HttpRequestMessage request, CancellationToken ct, Action<byte[], int>? body = null)
    {
        var started = Stopwatch.GetTimestamp();
        int status;
        string? etag = null;
        string? failure = null;
        try
        {
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            status = (int)response.StatusCode;
            etag = response.Headers.ETag?.ToString();
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            // The first 64 KiB are kept for the caller; the rest is read and dropped.
            var total = 0;
            int read;
            while ((read = await stream.ReadAsync(total < _buffer.Length ? _buffer.AsMemory(total) : _overflow.AsMemory(), ct)) > 0)
                if (total < _buffer.Length) total += read;
            if (status is < 200 or >= 300)
                failure = $"{request.Method} {request.RequestUri} → {status} {System.Text.Encoding.UTF8.GetString(_buffer, 0, Math.Min(total, 400))}";
            else body?.Invoke(_buffer, total);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && !ct.IsCancellationRequested)
        {
            status = 0;
            failure = $"{request.Method} {request.RequestUri} → {e.GetType().Name}: {e.Message}";
        }
        finally
        {
            request.Dispose();
        }
        Record(started, status, failure);
        return new Answer(status, etag);
    }

    /// <summary>Times an operation that is not an HTTP request (floor a's transactions).</summary>
    public async Task TimeAsync(Func<Task> operation)
    {
        var started = Stopwatch.GetTimestamp();
        string? failure = null;
        try
        {
            await operation();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failure = $"{e.GetType().Name}: {e.Message}";
        }
        Record(started, failure is null ? 200 : 500, failure);
    }

    private void Record(long started, int status, string? failure)
    {
        AllOperations++;
        if (!_run.Measures(started)) return;
        Latencies.Add(Stopwatch.GetTimestamp() - started);
        Statuses[status] = Statuses.GetValueOrDefault(status) + 1;
        if (failure is null) return;
        Errors++;
        if (ErrorSamples.Count < 3) ErrorSamples.Add(failure);
    }
}

/// <summary>The figures of one run (a scenario or a floor).</summary>
public sealed class RunResult
{
    public required string Name { get; init; }
    public string? Note { get; set; }
    public bool NotAvailable { get; init; }
    public long Requests { get; init; }
    public long Errors { get; init; }
    public double Seconds { get; init; }
    public double RequestsPerSecond => Seconds > 0 ? Requests / Seconds : 0;
    public double P50 { get; init; }
    public double P95 { get; init; }
    public double P99 { get; init; }
    public double Max { get; init; }
    public long? PeakRssBytes { get; set; }
    public double? ServerCpu { get; set; }

    /// <summary>Server CPU time per request over the whole run (warm-up included): robust to other load on the machine.</summary>
    public double? ServerCpuMicrosPerRequest { get; set; }
    public double? DriverCpu { get; set; }
    public IReadOnlyDictionary<int, long> Statuses { get; init; } = new Dictionary<int, long>();
    public IReadOnlyList<string> ErrorSamples { get; init; } = [];
    public Dictionary<string, double> Ratios { get; } = [];
    public Dictionary<string, object?> Extra { get; } = [];

    public static RunResult Missing(string name, string why) => new() { Name = name, NotAvailable = true, Note = why };
}

/// <summary>
/// The load driver: N workers share one <see cref="HttpClient"/> whose <see cref="SocketsHttpHandler"/> allows exactly N
/// connections (MaxConnectionsPerServer = N), so N requests are in flight at every moment. Each worker repeats its step
/// for the warm-up and then the measured duration; every latency of the measured window is kept (no sampling, no
/// histogram buckets), percentiles are read from the sorted list.
/// </summary>
public sealed class LoadRun : IDisposable
{
    private long _measureFrom = long.MaxValue;
    private long _measureUntil = long.MaxValue;

    public LoadRun(Uri? baseAddress, int connections)
    {
        if (baseAddress is null) return;
        Http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
            DefaultRequestVersion = HttpVersion.Version11,
        };
    }

    public HttpClient? Http { get; }

    internal bool Measures(long started) => started >= Volatile.Read(ref _measureFrom) && started < Volatile.Read(ref _measureUntil);

    /// <summary>Runs <paramref name="step"/> on <paramref name="workers"/> workers; a step returning false ends its worker early.</summary>
    public async Task<RunResult> RunAsync(string name, int workers, TimeSpan warmup, TimeSpan duration, int seed, Func<Worker, CancellationToken, Task<bool>> step,
        ApiHost? server)
    {
        var list = Enumerable.Range(0, workers).Select(i => new Worker(this, i, seed)).ToList();
        server?.ResetPeak();
        var serverCpuBefore = ServerCpuSeconds(server);
        var driverCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        var from = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var until = from + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        Volatile.Write(ref _measureFrom, from);
        Volatile.Write(ref _measureUntil, until);
        using var abort = new CancellationTokenSource(warmup + duration + TimeSpan.FromSeconds(90));
        var exhausted = 0;
        var tasks = list.Select(w => Task.Run(async () =>
        {
            while (Stopwatch.GetTimestamp() < until && !abort.IsCancellationRequested)
            {
                if (!await step(w, abort.Token))
                {
                    Interlocked.Increment(ref exhausted);
                    return;
                }
            }
        })).ToList();
        await Task.WhenAll(tasks);
        var ended = Stopwatch.GetTimestamp();
        var measured = Math.Max(0, Math.Min(ended, until) - from) / (double)Stopwatch.Frequency;
        var latencies = list.SelectMany(w => w.Latencies).ToArray();
        Array.Sort(latencies);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        double Percentile(double p) => latencies.Length == 0 ? 0 : Ms(latencies[Math.Clamp((int)Math.Ceiling(p * latencies.Length) - 1, 0, latencies.Length - 1)]);
        var statuses = new Dictionary<int, long>();
        foreach (var w in list)
            foreach (var (status, n) in w.Statuses)
                statuses[status] = statuses.GetValueOrDefault(status) + n;
        var result = new RunResult
        {
            Name = name, Requests = latencies.Length, Errors = list.Sum(w => w.Errors), Seconds = measured,
            P50 = Percentile(0.50), P95 = Percentile(0.95), P99 = Percentile(0.99), Max = latencies.Length == 0 ? 0 : Ms(latencies[^1]),
            Statuses = statuses, ErrorSamples = list.SelectMany(w => w.ErrorSamples).Take(5).ToList(),
        };
        var wall = (ended - start) / (double)Stopwatch.Frequency;
        if (server is not null)
        {
            result.PeakRssBytes = server.Memory().PeakBytes;
            var serverCpuAfter = ServerCpuSeconds(server);
            if (serverCpuBefore is { } b && serverCpuAfter is { } a)
            {
                result.ServerCpu = (a - b) / wall;
                var operations = list.Sum(w => w.AllOperations);
                if (operations > 0) result.ServerCpuMicrosPerRequest = (a - b) * 1e6 / operations;
            }
        }
        result.DriverCpu = (Process.GetCurrentProcess().TotalProcessorTime - driverCpuBefore).TotalSeconds / wall;
        if (exhausted > 0) result.Note = $"{exhausted} worker(s) ran out of work before the end";
        return result;
    }

    /// <summary>utime + stime of the server process (from /proc/pid/stat), in seconds.</summary>
    private static double? ServerCpuSeconds(ApiHost? server)
    {
        if (server is null) return null;
        try
        {
            var stat = File.ReadAllText($"/proc/{server.Pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After "pid (comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / 100.0;
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public void Dispose() => Http?.Dispose();
}
