using System.Diagnostics;
using System.Text;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Audit.Log;

/// <summary>The built witness (src/ReferralNetwork.Witness) as a real second process on a loopback port, with its own key and state file.</summary>
public sealed class WitnessProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WitnessProcess(Process process, int port, string stateFile)
    {
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        StateFile = stateFile;
    }

    public Uri BaseAddress { get; }
    public string StateFile { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }

    private static string Built(string project, string dll)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var path = Path.Combine(Repository.Root, "src", project, "bin", configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {project} first (scripts/test.sh builds the solution).", path);
    }

    public static string WitnessDll => Built("ReferralNetwork.Witness", "ReferralNetwork.Witness.dll");
    public static string VerifierDll => Built("ReferralNetwork.OfflineVerifier", "referral-network-verify.dll");

    public static async Task<WitnessProcess> StartAsync(int port, string name, string keyPem, string logOrigin, string logVerifierKey)
    {
        var folder = Directory.CreateTempSubdirectory("rn-witness-").FullName;
        var stateFile = Path.Combine(folder, "state.json");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
        info.ArgumentList.Add(WitnessDll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{port}");
        info.Environment["Witness__Name"] = name;
        info.Environment["Witness__SigningKey"] = keyPem;
        info.Environment["Witness__StateFile"] = stateFile;
        info.Environment["Witness__Logs__0__Origin"] = logOrigin;
        info.Environment["Witness__Logs__0__PublicKey"] = logVerifierKey;
        info.Environment["Logging__LogLevel__Default"] = "Information";
        var process = Process.Start(info)!;
        var witness = new WitnessProcess(process, port, stateFile);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (witness._output) witness._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (witness._output) witness._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = witness.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"The witness exited with {process.ExitCode}:\n{witness.Output}");
            try
            {
                if ((await client.GetAsync("/")).IsSuccessStatusCode) return witness;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The witness was not ready within 30 s:\n{witness.Output}");
    }

    /// <summary>Runs the offline verifier as its own process; returns its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> VerifyOfflineAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(VerifierDll);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { Directory.Delete(Path.GetDirectoryName(StateFile)!, recursive: true); } catch (IOException) { }
    }
}
