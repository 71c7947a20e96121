using System.Diagnostics;
using Npgsql;

namespace ReferralNetwork.Benchmarks;

/// <summary>
/// A throwaway PostgreSQL cluster, started the way scripts/test.sh starts one: initdb and pg_ctl as the <c>postgres</c>
/// user when we are root (initdb refuses root), a free port on 127.0.0.1, the socket in the temp folder, and
/// <c>synchronous_commit=on</c> (PostgreSQL's default, stated explicitly). Stopped and removed on dispose.
/// </summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dir;
    private readonly bool _asPostgres;
    private readonly bool _keep;
    private bool _running;

    private PostgresCluster(string bin, string dir, bool asPostgres, bool keep)
    {
        _bin = bin;
        _dir = dir;
        _asPostgres = asPostgres;
        _keep = keep;
    }

    public int Port { get; private set; }
    public string Version { get; private set; } = "";
    public string Directory => _dir;

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=200";

    public static async Task<PostgresCluster> StartAsync(bool keep, TextWriter log)
    {
        var initdb = System.IO.Directory.Exists("/usr/lib/postgresql")
            ? System.IO.Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "initdb")).Where(File.Exists)
                .OrderBy(p => new Version(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(p)))! + ".0")).LastOrDefault()
            : null;
        if (initdb is null)
            throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: " +
                "apt-get install -y postgresql (as scripts/test.sh does), or use --provider sqlite.");
        var bin = Path.GetDirectoryName(initdb)!;
        var asPostgres = Environment.UserName == "root";
        var dir = System.IO.Directory.CreateTempSubdirectory("rn-bench-pg-").FullName;
        var cluster = new PostgresCluster(bin, dir, asPostgres, keep);
        try
        {
            if (asPostgres) await RunAsync("chown", null, "postgres:postgres", dir);
            await cluster.AsPostgresAsync("mkdir", "-p", Path.Combine(dir, "data"), Path.Combine(dir, "sock"));
            await cluster.AsPostgresAsync(Path.Combine(bin, "initdb"), "-D", Path.Combine(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8");
            for (var attempt = 1; ; attempt++)
            {
                cluster.Port = ApiHost.FreePort();
                try
                {
                    await cluster.AsPostgresAsync(Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(dir, "data"), "-l", Path.Combine(dir, "postgres.log"), "-w", "-t", "60",
                        "-o", $"-p {cluster.Port} -k {Path.Combine(dir, "sock")} -c listen_addresses=127.0.0.1 -c max_connections=300 -c synchronous_commit=on -c fsync=on",
                        "start");
                    cluster._running = true;
                    break;
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                    log.WriteLine("  pg_ctl start failed (port taken?); retrying on another port");
                }
            }
            await using var connection = new NpgsqlConnection(cluster.ConnectionString("postgres"));
            await connection.OpenAsync();
            await using (var create = new NpgsqlCommand("CREATE DATABASE referralnetwork", connection)) await create.ExecuteNonQueryAsync();
            await using (var version = new NpgsqlCommand("SHOW server_version", connection)) cluster.Version = (string)(await version.ExecuteScalarAsync())!;
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private Task AsPostgresAsync(string program, params string[] args) =>
        _asPostgres ? RunAsync("runuser", _dir, ["-u", "postgres", "--", program, .. args]) : RunAsync(program, _dir, args);

    private static async Task RunAsync(string program, string? workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({p.ExitCode}):\n{await stdout}\n{await stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_running)
        {
            try
            {
                await AsPostgresAsync(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-m", "fast", "-w", "-t", "60", "stop");
            }
            catch (InvalidOperationException)
            {
                try { await AsPostgresAsync(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "-t", "30", "stop"); }
                catch (InvalidOperationException) { }
            }
            _running = false;
        }
        if (!_keep)
        {
            try { System.IO.Directory.Delete(_dir, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
