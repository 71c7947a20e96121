using Mediator;
using Microsoft.Data.Sqlite;
using Npgsql;
using ReferralNetwork.Api.Auth;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Audit;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Infrastructure;
using ReferralNetwork.Infrastructure.Backups;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Api.Commands;

/// <summary>
/// <c>backup &lt;file&gt;</c>, <c>restore &lt;file&gt;</c> and <c>verify-backup [&lt;file&gt;] [--checkpoint N --root HEX]</c>
/// (README, "Backups and restore"). Exit codes: 0 done and whole, 1 refused or not whole (the reason is printed), 2 wrong usage.
/// </summary>
public static class BackupCommands
{
    /// <summary>The principal verify-backup asks as: an auditor, the role GET /audit/verify serves.</summary>
    private static readonly Principal Verifier = new(Guid.Empty, Guid.Empty, new HashSet<Role> { Role.Auditor }, "verify-backup");

    /// <summary>
    /// Before the services are built: the settings are read without the file argument, and verify-backup reads a copy (or, without a file, the configured database) through a
    /// read-only connection, so nothing it runs can change what it checks. SQLite opens with Mode=ReadOnly, PostgreSQL
    /// sessions with default_transaction_read_only; SQL Server has no such switch (the verification only reads).
    /// </summary>
    public static void Configure(string command, IReadOnlyList<string> args, ConfigurationManager configuration)
    {
        if (command is not ("backup" or "restore" or "verify-backup")) return;
        var file = BackupArguments.Parse(args).File;
        // The file is not configuration, but the command-line provider reads an absolute path as a "/key" and takes the
        // next argument as its value (so `restore /backups/x.db --Storage:DataDirectory d` lost the setting): read
        // the settings again without it; this later source wins.
        if (file is not null)
        {
            var position = args.ToList().IndexOf(file);
            configuration.AddCommandLine(args.Where((_, i) => i != position).ToArray());
        }
        if (command != "verify-backup") return;
        configuration["Database:MigrateOnStartup"] = "false";
        var database = configuration.GetSection("Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
        var key = $"ConnectionStrings:{DependencyInjection.ConnectionStringName}";
        var configured = configuration[key];
        if (file is null && database.ParsedProvider == DatabaseProvider.Postgres)
        {
            configuration[key] = new NpgsqlConnectionStringBuilder(configured) { Options = "-c default_transaction_read_only=on" }.ConnectionString;
            return;
        }
        if (file is null && database.ParsedProvider != DatabaseProvider.Sqlite) return;
        // The same default file as DependencyInjection's when no connection string is configured.
        var storage = configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
        file ??= string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(storage.DataDirectory, "referralnetwork.db")
            : new SqliteConnectionStringBuilder(configured).DataSource;
        configuration["Database:Provider"] = "sqlite";
        configuration[key] = BackupFile.ReadOnlyConnectionString(Path.GetFullPath(file));
    }

    public static async Task<int> RunAsync(string command, IReadOnlyList<string> args, IServiceProvider services, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var arguments = BackupArguments.Parse(args);
        if (arguments.Error is null && command != "verify-backup" && arguments.File is null) arguments = arguments with { Error = "name the backup file" };
        if (arguments.Error is not null)
        {
            error.WriteLine($"{command}: {arguments.Error}.");
            error.WriteLine("Usage: backup <file> | restore <file> | verify-backup [<file>] [--checkpoint N --root HEX]");
            return 2;
        }
        try
        {
            return command switch
            {
                "backup" => await BackupAsync(services, arguments.File!, output, ct),
                "restore" => await RestoreAsync(services, arguments.File!, output, ct),
                _ => await VerifyAsync(services, arguments, output, error, ct),
            };
        }
        catch (Exception e) when (e is BackupException or IOException or UnauthorizedAccessException or System.Data.Common.DbException)
        {
            error.WriteLine($"{command}: {e.Message}");
            return 1;
        }
    }

    private static async Task<int> BackupAsync(IServiceProvider services, string file, TextWriter output, CancellationToken ct)
    {
        var report = await services.GetRequiredService<SqliteBackup>().WriteAsync(file, ct);
        output.WriteLine($"Backup written to {report.Path} (checksum in {BackupFile.ChecksumPath(report.Path)}).");
        output.WriteLine($"  bytes        {report.Bytes}");
        output.WriteLine($"  sha256       {report.Sha256}");
        WriteContents(report.Contents, output);
        output.WriteLine("Keep the master key(s) and the checkpoint signing key apart from this file: it is useless without them, and they protect nothing beside it.");
        return 0;
    }

    private static async Task<int> RestoreAsync(IServiceProvider services, string file, TextWriter output, CancellationToken ct)
    {
        var report = await services.GetRequiredService<SqliteRestore>().RunAsync(file, ct);
        output.WriteLine($"Restored {Path.GetFullPath(file)} into {report.Database}.");
        WriteContents(report.Contents, output);
        output.WriteLine("Next: start the API as usual (migrations run at start-up, or run `migrate` first), and check it with " +
            "`verify-backup` (add --checkpoint N --root HEX with the anchor an auditor kept) or GET /api/v1/audit/verify.");
        return 0;
    }

    private static void WriteContents(BackupContents contents, TextWriter output)
    {
        if (contents.CheckpointSequence is { } sequence)
        {
            output.WriteLine($"  checkpoint   {sequence}");
            output.WriteLine($"  root         {contents.CheckpointRoot}");
            output.WriteLine($"  sealed at    {contents.CheckpointSealedAt}");
        }
        else output.WriteLine("  checkpoint   none sealed yet");
        output.WriteLine($"  events       {contents.Events}");
        output.WriteLine($"  master keys  {(contents.MasterKeyIds.Count == 0 ? "none needed" : string.Join(", ", contents.MasterKeyIds))}");
        output.WriteLine($"  schema       {contents.Migrations.LastOrDefault() ?? "none"}");
    }

    /// <summary>
    /// The file's own checks (checksum, integrity_check) and then exactly what GET /audit/verify runs — the same query
    /// through the same pipeline, against the copy — plus the external anchor when one is given.
    /// </summary>
    private static async Task<int> VerifyAsync(IServiceProvider services, BackupArguments arguments, TextWriter output, TextWriter error, CancellationToken ct)
    {
        var connections = services.GetRequiredService<ConnectionFactory>();
        var problems = new List<string>();
        if (connections.Provider == DatabaseProvider.Sqlite)
        {
            var file = new SqliteConnectionStringBuilder(connections.ConnectionString).DataSource;
            problems.AddRange(await BackupFile.CheckAsync(file, ct));
            if (!File.Exists(file))
            {
                Report(problems, output, error);
                return 1;
            }
            output.WriteLine($"file: {file}{(await BackupFile.ReadChecksumAsync(file, ct) is null ? " (no .sha256 beside it: checksum not checked)" : "")}");
        }
        if (MissingCheckpointKey(services) is { } keyProblem)
        {
            problems.Add(keyProblem);
            Report(problems, output, error);
            return 1;
        }

        await using var scope = services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentPrincipal>().Principal = Verifier;
        try
        {
            // The auditor's anchor goes to the same query as ?checkpoint=&root= does: a copy rolled back behind it fails.
            var verification = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(
                new VerifyAuditQuery(Checkpoint: arguments.Checkpoint, Root: arguments.Root), ct);
            output.WriteLine($"audit: {(verification.Ok ? "ok" : "BROKEN")}, {verification.EventsChecked} events in {verification.StreamsChecked} streams, " +
                $"{verification.CheckpointsChecked} checkpoints ({verification.ElapsedMs} ms)");
            problems.AddRange(verification.Problems.Select(p =>
                $"audit: {p.Reason} {(p.StreamId is null ? "" : $"stream {p.StreamId} seq {p.Seq} ")}{(p.Checkpoint is null ? "" : $"checkpoint {p.Checkpoint} ")}{p.Detail}"));
            if (!verification.Ok && verification.Problems.Count == 0) problems.Add("audit: verification failed");
            if (arguments.Checkpoint is not null && verification.Ok) output.WriteLine($"anchor: checkpoint {arguments.Checkpoint} has root {arguments.Root}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever stops the verification (a page SQLite cannot read, a value that no longer parses) means the copy
            // is not verified: a problem to report, never a crash or a pass.
            problems.Add($"the verification could not complete: {e.GetType().Name}: {e.Message}{(e.InnerException is { } inner ? $" ({inner.Message})" : "")}");
        }
        Report(problems, output, error);
        return problems.Count == 0 ? 0 : 1;
    }

    /// <summary>
    /// Without a configured signing key the program would generate a development key (beside a development database),
    /// and no checkpoint made elsewhere verifies with it: say so instead of writing a key file and reporting forgeries.
    /// </summary>
    private static string? MissingCheckpointKey(IServiceProvider services)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        if (!string.IsNullOrWhiteSpace(configuration["Audit:CheckpointSigningKey"])) return null;
        var storage = configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
        var devKey = Path.Combine(storage.DataDirectory, "dev-checkpoint-signing-key.pem");
        if (File.Exists(devKey)) return null;
        return $"no Audit:CheckpointSigningKey is configured and there is no development key at {devKey}: checkpoint signatures cannot be " +
            "checked. Run verify-backup with the API's audit configuration (Audit:CheckpointSigningKey, Audit:PreviousCheckpointPublicKeys).";
    }

    private static void Report(List<string> problems, TextWriter output, TextWriter error)
    {
        foreach (var problem in problems) error.WriteLine(problem);
        output.WriteLine(problems.Count == 0 ? "verify-backup: OK" : $"verify-backup: FAILED ({problems.Count} problem(s))");
    }
}
