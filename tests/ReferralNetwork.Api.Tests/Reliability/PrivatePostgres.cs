using System.Diagnostics;
using Npgsql;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Reliability;

/// <summary>
/// A small PostgreSQL cluster of one test's own, on a free 127.0.0.1 port, so that the test may restart it
/// (<c>pg_ctl restart -m immediate</c>) without touching the cluster every other test class shares. The server
/// binaries come from REFERRALNET_TEST_PG_BIN, which scripts/test.sh exports; without it the test FAILS. As root the
/// tools run as the <c>postgres</c> user (initdb refuses root), as scripts/test.sh does.
/// </summary>
public sealed class PrivatePostgres : ITestDatabase
{
    public const string Variable = "REFERRALNET_TEST_PG_BIN";
    private readonly string _bin;
    private readonly string _directory;
    private readonly int _port;

    private PrivatePostgres(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        _port = port;
    }

    public string Provider => "postgres";
    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=40;Timeout=5";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(bin) || !File.Exists(Path.Combine(bin, "pg_ctl")))
            throw new InvalidOperationException($"{Variable} does not name PostgreSQL's server binaries (pg_ctl, initdb): run the suite with scripts/test.sh, which exports it.");
        var directory = Directory.CreateTempSubdirectory("rn-pg-private-").FullName;
        if (IsRoot) await RunAsync("chown", "-R", "postgres:postgres", directory);
        var cluster = new PrivatePostgres(bin, directory, ApiProcess.FreePort());
        await cluster.AsPostgresAsync("initdb", "-D", cluster.Data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
        await cluster.AsPostgresAsync("pg_ctl", "-D", cluster.Data, "-l", Path.Combine(directory, "log"), "-w", "-t", "60", "-o", cluster.ServerOptions, "start");
        return cluster;
    }

    private string Data => Path.Combine(_directory, "data");
    private string ServerOptions => $"-p {_port} -k {_directory} -c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=off";

    /// <summary>An immediate restart: every connection dies at once, the server recovers from its WAL and comes back.</summary>
    public Task RestartImmediateAsync() =>
        AsPostgresAsync("pg_ctl", "-D", Data, "-l", Path.Combine(_directory, "log"), "-m", "immediate", "-w", "-t", "60", "-o", ServerOptions, "restart");

    private static bool IsRoot => Environment.UserName == "root";

    private Task AsPostgresAsync(string tool, params string[] arguments) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments]) : RunAsync(Path.Combine(_bin, tool), arguments);

    private static async Task RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{await output}\n{await error}");
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await AsPostgresAsync("pg_ctl", "-D", Data, "-m", "immediate", "-w", "-t", "30", "stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
