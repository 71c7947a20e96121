using System.Data.Common;
using System.Diagnostics;
using Dapper;
using Npgsql;
using ReferralNetwork.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReferralNetwork.Api.Tests.Reliability;

/// <summary>
/// The drill on PostgreSQL, run with the tools an operator has: <c>pg_dump --format=custom</c> while the API serves
/// (one snapshot, so the dump is consistent), <c>pg_restore</c> into a fresh database, the API served on it, then
/// <c>verify-backup</c> against that database (read-only session); an audit event changed in it fails verification.
/// The client binaries are those of the server's major version under /usr/lib/postgresql/&lt;major&gt;/bin, next to
/// the throwaway cluster's; the test fails when they are missing.
/// </summary>
[Trait("Database", "Postgres")]
public sealed class RestoreDrillTests_Postgres(ITestOutputHelper output) : RestoreDrillTests(output)
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rn-pgdump-").FullName;

    protected override async Task<Dictionary<string, string>> LiveDatabaseAsync()
    {
        var database = await PostgresTestDatabase.CreateAsync();
        Cleanup.Add(database);
        Cleanup.Add(new FolderCleanup(_folder));
        return new Dictionary<string, string> { ["Database__Provider"] = "postgres", ["ConnectionStrings__ReferralNetwork"] = database.ConnectionString };
    }

    protected override async Task<string> BackupAsync(Dictionary<string, string> live)
    {
        var file = Path.Combine(_folder, "drill.dump");
        await RunToolAsync("pg_dump", live["ConnectionStrings__ReferralNetwork"], "--format=custom", $"--file={file}");
        Assert.True(new FileInfo(file).Length > 0);
        return file;
    }

    protected override async Task<Dictionary<string, string>> RestoreAsync(Dictionary<string, string> live, string backup)
    {
        var target = await PostgresTestDatabase.CreateAsync();
        Cleanup.Add(target);
        await RunToolAsync("pg_restore", target.ConnectionString, "--exit-on-error", "--no-owner", backup);
        return new Dictionary<string, string>(live) { ["ConnectionStrings__ReferralNetwork"] = target.ConnectionString };
    }

    protected override string[] VerifyTarget(string backup) => [];

    protected override async Task<DbConnection> OpenAsync(Dictionary<string, string> settings)
    {
        var connection = new NpgsqlConnection(settings["ConnectionStrings__ReferralNetwork"]);
        await connection.OpenAsync();
        return connection;
    }

    protected override async Task TamperedCopiesFailAsync(Dictionary<string, string> restored, string backup, Anchor anchor, ApiProcess api)
    {
        await using (var connection = await OpenAsync(restored))
            Assert.Equal(1, await connection.ExecuteAsync("""
                UPDATE audit_events SET role = CASE WHEN role = 'auditor' THEN 'caseworker' ELSE 'auditor' END
                WHERE global_seq = (SELECT MIN(global_seq) FROM audit_events WHERE stream_id LIKE 'referral/%')
                """));
        var result = await ApiProcess.RunAsync(restored, CommandTimeout, "verify-backup", "--checkpoint", anchor.Sequence.ToString(), "--root", anchor.Root);
        Output.WriteLine($"one audit event changed in the restored database: {result.Error.Split('\n')[0]}");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("audit: hash_mismatch", result.Error);
    }

    /// <summary>Runs a PostgreSQL client tool of the server's own major version against the database of a connection string.</summary>
    private async Task RunToolAsync(string tool, string connectionString, params string[] arguments)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        int major;
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            major = await connection.ExecuteScalarAsync<int>("SELECT current_setting('server_version_num')::int / 10000");
        }
        var binary = $"/usr/lib/postgresql/{major}/bin/{tool}";
        if (!File.Exists(binary))
            throw new InvalidOperationException($"{binary} is missing: the drill needs PostgreSQL {major}'s client tools (Debian: apt-get install postgresql-client-{major}).");
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.ArgumentList.Add($"--host={builder.Host}");
        info.ArgumentList.Add($"--port={builder.Port}");
        info.ArgumentList.Add($"--username={builder.Username}");
        info.ArgumentList.Add($"--dbname={builder.Database}");
        info.Environment["PGCONNECT_TIMEOUT"] = "10";
        if (!string.IsNullOrEmpty(builder.Password)) info.Environment["PGPASSWORD"] = builder.Password;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        await process.WaitForExitAsync(timeout.Token);
        Output.WriteLine($"{tool} exit {process.ExitCode} {await stderr}");
        Assert.True(process.ExitCode == 0, $"{tool} failed with exit {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }

    private sealed class FolderCleanup(string folder) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
            return ValueTask.CompletedTask;
        }
    }
}
