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

    private ApiProcess(Process process, int port, string workingDirectory)
    {
        _process = process;
        Port = port;
        WorkingDirectory = workingDirectory;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>Where the process runs: relative settings (the data folder, development keys) are relative to it.</summary>
    public string WorkingDirectory { get; }

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

    /// <summary>
    /// A checkpoint signing key for processes started outside Development, where the API refuses to start without one
    /// (and without Encryption__MasterKey): pass it as <c>Audit__CheckpointSigningKey</c>.
    /// </summary>
    public static string CheckpointSigningKeyPem { get; } = NewCheckpointSigningKey();

    private static string NewCheckpointSigningKey()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
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

    /// <summary>
    /// Starts the API with exactly this environment (and the machine's, minus any ASPNETCORE_ENVIRONMENT: it runs in
    /// Production unless <paramref name="environment"/> says otherwise). Without a command it waits until ready.
    /// </summary>
    public static async Task<ApiProcess> StartAsync(IReadOnlyDictionary<string, string> environment, string? command = null, int? port = null, TimeSpan? timeout = null,
        string? workingDirectory = null)
    {
        var chosen = port ?? FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.CreateTempSubdirectory("rn-proc-").FullName,
        };
        info.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        info.Environment.Remove("DOTNET_ENVIRONMENT");
        info.ArgumentList.Add(ApiDll);
        if (command is not null) info.ArgumentList.Add(command);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{chosen}");
        // Outside Development the API refuses to run its workers without the audit log's signing key (fail closed).
        if (!environment.ContainsKey("Audit__LogSigningKey")) info.Environment["Audit__LogSigningKey"] = LogSigningKey;
        foreach (var (key, value) in environment) info.Environment[key] = value;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info)!;
        var api = new ApiProcess(process, chosen, info.WorkingDirectory);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (api._output) api._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (api._output) api._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (command is null) await api.WaitUntilReadyAsync(timeout ?? TimeSpan.FromSeconds(30));
        return api;
    }

    /// <summary>What a one-shot command of the program (backup, restore, verify-backup, …) printed, and how it exited.</summary>
    public sealed record CommandResult(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}--- stderr\n{Error}";
    }

    /// <summary>Runs the built program with these arguments to its end (no HTTP port), as an operator's shell would.</summary>
    public static async Task<CommandResult> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory.CreateTempSubdirectory("rn-cmd-").FullName,
        };
        info.ArgumentList.Add(ApiDll);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        // The same log key the served processes get, so a command verifies the heads they signed.
        if (!environment.ContainsKey("Audit__LogSigningKey")) info.Environment["Audit__LogSigningKey"] = LogSigningKey;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{string.Join(' ', arguments)}' did not finish within {timeout}.");
        }
        return new CommandResult(process.ExitCode, await stdout, await stderr);
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

    private bool _disposed;

    /// <summary>Kills the process and waits for it; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

/// <summary>
/// Makes keys against an API process the way the network does (beside <see cref="ApiProcess"/>, so that every test
/// project that links it has it): the network admin makes an organisation's first org_admin key — the only key it may
/// make there — and that org_admin makes the organisation's other keys.
/// </summary>
public sealed class KeyMaker(Uri baseAddress, string networkAdminKey)
{
    private readonly Dictionary<Guid, string> _organisationAdmins = [];

    public async Task<string> KeyAsync(Guid organisation, string role, string name = "worker")
    {
        if (!_organisationAdmins.TryGetValue(organisation, out var orgAdmin))
            _organisationAdmins[organisation] = orgAdmin = await CreateAsync(networkAdminKey, organisation, "org_admin", "first org admin");
        return await CreateAsync(orgAdmin, organisation, role, name);
    }

    private async Task<string> CreateAsync(string creatorKey, Guid organisation, string role, string name)
    {
        using var client = new HttpClient { BaseAddress = baseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", creatorKey);
        var response = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(client, $"/api/v1/organisations/{organisation}/api-keys",
            new { name, roles = new[] { role } });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Creating a {role} key failed: {(int)response.StatusCode} {body}");
        return System.Text.Json.Nodes.JsonNode.Parse(body)!["key"]!.GetValue<string>();
    }
}
