using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ReferralNetwork.Benchmarks;

/// <summary>The checkout this program runs from, and the Release build of the API in it.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    public static string ApiDll => Path.Combine(Root, "src", "ReferralNetwork.Api", "bin", "Release", "net10.0", "ReferralNetwork.Api.dll");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ReferralNetwork.sln"))) return dir.FullName;
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ReferralNetwork.sln"))) return dir.FullName;
        throw new InvalidOperationException("ReferralNetwork.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// The project reference builds the API with this program; when the program runs from elsewhere (or the build was
    /// cleaned) the Release build is made here.
    /// </summary>
    public static async Task EnsureApiBuiltAsync(TextWriter log)
    {
        if (File.Exists(ApiDll)) return;
        log.WriteLine($"  {ApiDll} is missing: dotnet build -c Release src/ReferralNetwork.Api");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Root, UseShellExecute = false };
        foreach (var a in new[] { "build", "src/ReferralNetwork.Api/ReferralNetwork.Api.csproj", "-c", "Release", "-nologo", "--verbosity", "quiet" }) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        await p.WaitForExitAsync();
        if (p.ExitCode != 0 || !File.Exists(ApiDll)) throw new InvalidOperationException($"Building the API failed (exit {p.ExitCode}).");
    }
}

/// <summary>
/// The API as a real process on a loopback port (as tests/…/ApiProcess.cs starts it): <c>dotnet ReferralNetwork.Api.dll
/// --urls http://127.0.0.1:port</c>, configured only through environment variables.
/// </summary>
public sealed class ApiHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private ApiHost(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }
    public Uri BaseAddress { get; }
    public int Pid => _process.Id;

    public string Tail
    {
        get { lock (_tail) return string.Join('\n', _tail); }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<ApiHost> StartAsync(IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        info.ArgumentList.Add(Repository.ApiDll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info)!;
        var host = new ApiHost(process, port);
        process.OutputDataReceived += (_, e) => host.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => host.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await host.WaitUntilReadyAsync(TimeSpan.FromSeconds(120));
        return host;
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > 40) _tail.Dequeue();
        }
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The API exited with {_process.ExitCode}:\n{Tail}");
            try
            {
                if ((await client.GetAsync("/health/ready")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The API was not ready within {timeout}:\n{Tail}");
    }

    public bool HasExited => _process.HasExited;

    /// <summary>VmHWM (peak resident set) and VmRSS of the server process, in bytes.</summary>
    public (long PeakBytes, long CurrentBytes) Memory()
    {
        long hwm = 0, rss = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kilobytes(line) * 1024;
                else if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line) * 1024;
            }
        }
        catch (IOException) { }
        return (hwm, rss);
    }

    /// <summary>
    /// Resets VmHWM to the current RSS (<c>echo 5 &gt; /proc/pid/clear_refs</c>, Linux ≥ 4.0), so each scenario reports its
    /// own peak. Returns false where the kernel refuses; peaks are then cumulative, which the report says.
    /// </summary>
    public bool ResetPeak()
    {
        try
        {
            File.WriteAllText($"/proc/{Pid}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
