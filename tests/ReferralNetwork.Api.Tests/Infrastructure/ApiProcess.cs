using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ReferralNetwork.Api.Tests.Infrastructure;

/// <summary>The built API binary as a real process on a loopback port: for tests that need processes, not a test host.</summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ApiProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }
    public Uri BaseAddress { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;

    public static string ApiDll
    {
        get
        {
            // The same configuration the tests were built in.
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            var dll = Path.Combine(Repository.Root, "src", "ReferralNetwork.Api", "bin", configuration, "net10.0", "ReferralNetwork.Api.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the API first.", dll);
        }
    }

    /// <summary>A fresh Ed25519 key for the audit log: PKCS#8 is RFC 8410's fixed 16-byte prefix and the 32-byte seed.</summary>
    public static readonly string LogSigningKey = System.Security.Cryptography.PemEncoding.WriteString("PRIVATE KEY",
        [.. Convert.FromHexString("302e020100300506032b657004220420"), .. System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)]);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<ApiProcess> StartAsync(IReadOnlyDictionary<string, string> environment, string? command = null, int? port = null, TimeSpan? timeout = null)
    {
        var chosen = port ?? FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory.CreateTempSubdirectory("rn-proc-").FullName,
        };
        info.ArgumentList.Add(ApiDll);
        if (command is not null) info.ArgumentList.Add(command);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{chosen}");
        // Outside Development the API refuses to run its workers without the audit log's signing key (fail closed).
        if (!environment.ContainsKey("Audit__LogSigningKey")) info.Environment["Audit__LogSigningKey"] = LogSigningKey;
        foreach (var (key, value) in environment) info.Environment[key] = value;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info)!;
        var api = new ApiProcess(process, chosen);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (api._output) api._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (api._output) api._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (command is null) await api.WaitUntilReadyAsync(timeout ?? TimeSpan.FromSeconds(30));
        return api;
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The API exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await client.GetAsync("/health/ready")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The API was not ready within {timeout}:\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Ends the process at once, as a crash or <c>kill -9</c> would.</summary>
    public void Kill() { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
