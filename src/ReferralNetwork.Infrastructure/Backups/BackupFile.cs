using System.Security.Cryptography;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ReferralNetwork.Infrastructure.Backups;

/// <summary>A backup was refused or is not whole: the message says why and what to do. Commands print it and exit 1.</summary>
public sealed class BackupException(string message) : Exception(message);

/// <summary>What a SQLite backup holds: what <c>backup</c> prints and what <c>restore</c> checks before it copies.</summary>
public sealed record BackupContents(
    long? CheckpointSequence, string? CheckpointRoot, string? CheckpointSealedAt, long Events,
    IReadOnlyList<string> MasterKeyIds, IReadOnlyList<string> CheckpointKeyIds, IReadOnlyList<string> Migrations);

/// <summary>
/// A SQLite backup file and its checksum file beside it (<c>&lt;file&gt;.sha256</c>, in <c>sha256sum</c> format, so
/// <c>sha256sum -c</c> checks it too). The checksum catches any changed byte; the audit chains, checked by
/// <c>verify-backup</c>, catch a change that someone also fixed the checksum for.
/// </summary>
public static class BackupFile
{
    public static string ChecksumPath(string path) => path + ".sha256";

    /// <summary>Read-only, unpooled (so the file is closed when the connection is), never creating the file.</summary>
    public static string ReadOnlyConnectionString(string path) =>
        new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();

    public static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }

    /// <summary>Writes <c>&lt;file&gt;.sha256</c> through a temporary file and a rename, like the backup itself.</summary>
    public static async Task WriteChecksumAsync(string path, string sha256, CancellationToken ct)
    {
        var target = ChecksumPath(path);
        var temp = $"{target}.tmp-{Guid.NewGuid():N}";
        await File.WriteAllTextAsync(temp, $"{sha256}  {Path.GetFileName(path)}\n", ct);
        File.Move(temp, target, overwrite: true);
    }

    /// <summary>The checksum recorded beside the file, or null when there is none.</summary>
    public static async Task<string?> ReadChecksumAsync(string path, CancellationToken ct)
    {
        var file = ChecksumPath(path);
        if (!File.Exists(file)) return null;
        var text = (await File.ReadAllTextAsync(file, ct)).Trim();
        var hex = text.Split(' ', 2)[0];
        return hex.Length == 64 && hex.All(Uri.IsHexDigit)
            ? hex.ToLowerInvariant()
            : throw new BackupException($"{file} does not hold a SHA-256 (64 hex digits, then the file name).");
    }

    /// <summary>
    /// Checks the file as a file: it exists, matches the checksum beside it (when there is one), and SQLite's
    /// <c>PRAGMA integrity_check</c> finds its pages, records and indexes whole. Returns the problems found (none: whole).
    /// </summary>
    public static async Task<IReadOnlyList<string>> CheckAsync(string path, CancellationToken ct)
    {
        if (!File.Exists(path)) return [$"{path} does not exist."];
        var problems = new List<string>();
        var recorded = await ReadChecksumAsync(path, ct);
        if (recorded is not null)
        {
            var actual = await Sha256Async(path, ct);
            if (actual != recorded) problems.Add($"SHA-256 of {path} is {actual}, but {ChecksumPath(path)} records {recorded}: the file changed after it was written.");
        }
        try
        {
            await using var connection = new SqliteConnection(ReadOnlyConnectionString(path));
            await connection.OpenAsync(ct);
            var integrity = (await connection.QueryAsync<string>(new CommandDefinition("PRAGMA integrity_check", commandTimeout: 0, cancellationToken: ct))).ToList();
            if (integrity is not ["ok"]) problems.AddRange(integrity.Take(20).Select(line => $"integrity_check: {line}"));
        }
        catch (SqliteException e)
        {
            problems.Add($"SQLite cannot read {path}: {e.Message}");
        }
        return problems;
    }

    /// <summary>Reads the newest checkpoint, the event count, the keys it needs and its migrations from an open copy.</summary>
    public static async Task<BackupContents> DescribeAsync(SqliteConnection connection, CancellationToken ct)
    {
        var tables = (await connection.QueryAsync<string>(new CommandDefinition("SELECT name FROM sqlite_master WHERE type = 'table'", cancellationToken: ct)))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!tables.Contains("audit_events") || !tables.Contains("audit_checkpoints") || !tables.Contains("schemaversions"))
            throw new BackupException("The file is a SQLite database but not a ReferralNetwork one (no audit_events, audit_checkpoints or schemaversions table).");
        var newest = await connection.QueryFirstOrDefaultAsync<NewestCheckpoint>(new CommandDefinition(
            "SELECT sequence, root_hash AS RootHash, created_at AS CreatedAt FROM audit_checkpoints ORDER BY sequence DESC LIMIT 1", cancellationToken: ct));
        var events = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM audit_events", cancellationToken: ct));
        // Users' TOTP secrets too, in copies made since users exist (migration 0012).
        var users = tables.Contains("users") ? "UNION SELECT totp_master_key_id FROM users WHERE totp_wrapped_key IS NOT NULL" : "";
        var masterKeys = (await connection.QueryAsync<string>(new CommandDefinition($"""
            SELECT master_key_id FROM persons WHERE wrapped_key IS NOT NULL
            UNION SELECT master_key_id FROM webhook_subscriptions
            {users}
            ORDER BY 1
            """, cancellationToken: ct))).ToList();
        var checkpointKeys = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT key_id FROM audit_checkpoints ORDER BY 1", cancellationToken: ct))).ToList();
        var migrations = (await connection.QueryAsync<string>(new CommandDefinition("SELECT scriptname FROM schemaversions ORDER BY schemaversionid", cancellationToken: ct)))
            .Select(ScriptFileName).ToList();
        return new BackupContents(newest?.Sequence, newest?.RootHash, newest?.CreatedAt, events, masterKeys, checkpointKeys, migrations);
    }

    /// <summary>DbUp journals the embedded resource name (…Migrations.sqlite.0006_people.sql); the file name is what matters.</summary>
    private static string ScriptFileName(string resource)
    {
        var marker = resource.IndexOf(".Migrations.sqlite.", StringComparison.Ordinal);
        return marker < 0 ? resource : resource[(marker + ".Migrations.sqlite.".Length)..];
    }

    /// <summary>Forces the file's bytes to the disk, so a rename that follows never names a file still in the page cache only.</summary>
    public static void FlushToDisk(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        stream.Flush(flushToDisk: true);
    }

    private sealed record NewestCheckpoint
    {
        public long Sequence { get; init; }
        public string RootHash { get; init; } = "";
        public string CreatedAt { get; init; } = "";
    }
}
