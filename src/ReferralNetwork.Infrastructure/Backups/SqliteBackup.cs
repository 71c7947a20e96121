using Microsoft.Data.Sqlite;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Backups;

/// <summary>A backup that was written: where, how big, its SHA-256, and what it holds.</summary>
public sealed record BackupReport(string Path, long Bytes, string Sha256, BackupContents Contents);

/// <summary>
/// Takes a consistent copy of the live SQLite database while the API serves: <c>VACUUM INTO</c> reads one snapshot in
/// a single read transaction (WAL: writers go on meanwhile; the copy holds exactly the transactions committed when it
/// began), never a raw file copy, which could tear between the database file and its WAL. The copy is written to a
/// temporary file beside the target, switched to a self-contained rollback journal, checked with
/// <c>integrity_check</c>, flushed to disk and only then renamed into place, so the target name never shows a partial
/// file. Its SHA-256 goes to <c>&lt;target&gt;.sha256</c>.
/// </summary>
public sealed class SqliteBackup(ConnectionFactory connections)
{
    public async Task<BackupReport> WriteAsync(string target, CancellationToken ct)
    {
        if (connections.Provider != DatabaseProvider.Sqlite)
            throw new BackupException("backup copies the embedded SQLite database. Back PostgreSQL up with pg_dump or continuous archiving, " +
                "SQL Server with BACKUP DATABASE … WITH CHECKSUM (README, \"Backups and restore\").");
        var path = Path.GetFullPath(target);
        if (File.Exists(path)) throw new BackupException($"{path} exists already: backup never overwrites a file. Name a new one.");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.tmp-{Guid.NewGuid():N}";
        try
        {
            await using (var source = await connections.OpenAsync(ct))
            await using (var vacuum = source.CreateCommand())
            {
                vacuum.CommandText = "VACUUM INTO @Path";
                vacuum.Parameters.Add(new SqliteParameter("@Path", temp));
                vacuum.CommandTimeout = 0; // as long as the copy takes; it blocks no writer
                await vacuum.ExecuteNonQueryAsync(ct);
            }

            BackupContents contents;
            await using (var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp, Pooling = false }.ToString()))
            {
                await copy.OpenAsync(ct);
                await using (var journal = copy.CreateCommand())
                {
                    // One file, no -wal or -shm to carry along: readable where it lands, read-only too.
                    journal.CommandText = "PRAGMA journal_mode=DELETE";
                    await journal.ExecuteNonQueryAsync(ct);
                }
                contents = await BackupFile.DescribeAsync(copy, ct);
            }
            var problems = await BackupFile.CheckAsync(temp, ct);
            if (problems.Count > 0) throw new BackupException($"The copy does not pass integrity_check, nothing was written: {string.Join(" ", problems)}");

            BackupFile.FlushToDisk(temp);
            var sha256 = await BackupFile.Sha256Async(temp, ct);
            File.Move(temp, path, overwrite: false);
            await BackupFile.WriteChecksumAsync(path, sha256, ct);
            return new BackupReport(path, new FileInfo(path).Length, sha256, contents);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
