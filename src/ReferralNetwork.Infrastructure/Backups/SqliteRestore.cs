using System.Security.Cryptography;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReferralNetwork.Infrastructure.Audit;
using ReferralNetwork.Infrastructure.Crypto;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Backups;

/// <summary>Where a backup was restored to, and what it holds.</summary>
public sealed record RestoreReport(string Database, BackupContents Contents);

/// <summary>
/// Puts a SQLite backup in place of a database that does not exist (yet): never over one, live or not. Before it copies
/// anything it checks the file (checksum, integrity_check), that this version of the program knows every migration the
/// copy has, and that the configured keys open it — every master key that wrapped a data key in it, and every key
/// its checkpoints were signed with — because a restored database whose keys are gone holds no readable personal data
/// and no verifiable history. The copy goes to a temporary file in the data folder, is flushed and then renamed.
/// </summary>
public sealed class SqliteRestore(
    ConnectionFactory connections, IOptions<EncryptionOptions> encryption, IOptions<AuditOptions> audit, IOptions<StorageOptions> storage,
    IServiceProvider services)
{
    private static readonly string[] DatabaseFiles = ["", "-wal", "-shm", "-journal"];

    public async Task<RestoreReport> RunAsync(string backup, CancellationToken ct)
    {
        if (connections.Provider != DatabaseProvider.Sqlite)
            throw new BackupException("restore puts back the embedded SQLite database. Restore PostgreSQL with pg_restore (or a base backup and " +
                "its WAL archive), SQL Server with RESTORE DATABASE (README, \"Backups and restore\"), then run verify-backup.");
        var source = Path.GetFullPath(backup);
        var target = Path.GetFullPath(new SqliteConnectionStringBuilder(connections.ConnectionString).DataSource);
        RefuseIfPresent(target);

        var problems = await BackupFile.CheckAsync(source, ct);
        if (problems.Count > 0) throw new BackupException($"{source} is not whole, nothing was restored:\n  {string.Join("\n  ", problems)}");
        BackupContents contents;
        await using (var copy = new SqliteConnection(BackupFile.ReadOnlyConnectionString(source)))
        {
            await copy.OpenAsync(ct);
            contents = await BackupFile.DescribeAsync(copy, ct);
            var unknown = contents.Migrations.Except(Migrator.ScriptNames(DatabaseProvider.Sqlite)).ToList();
            if (unknown.Count > 0)
                throw new BackupException($"The copy has migrations this version does not know ({string.Join(", ", unknown)}): it was made by a newer " +
                    "version. Restore it with that version (or a later one).");
            await CheckMasterKeysAsync(copy, contents, ct);
            CheckCheckpointKeys(contents);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = $"{target}.restore-{Guid.NewGuid():N}.tmp";
        try
        {
            File.Copy(source, temp);
            BackupFile.FlushToDisk(temp);
            RefuseIfPresent(target); // an API started meanwhile would have created it
            File.Move(temp, target, overwrite: false);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return new RestoreReport(target, contents);
    }

    private static void RefuseIfPresent(string target)
    {
        var present = DatabaseFiles.Select(suffix => target + suffix).Where(File.Exists).ToList();
        if (present.Count == 0) return;
        var open = present.Any(p => p.EndsWith("-wal", StringComparison.Ordinal) || p.EndsWith("-shm", StringComparison.Ordinal));
        throw new BackupException(
            $"{target} exists{(open ? " and is open (its -wal/-shm files are there: an API is running on it, or stopped without closing it)" : "")}: " +
            "restore never overwrites a database, live or not.\n" +
            "Stop the API first (systemd: systemctl stop referralnetwork; Docker: docker stop <container>; Kubernetes: " +
            "kubectl scale deployment/referralnetwork-api --replicas=0), move these files aside (keep them until the restored copy verifies):\n  " +
            string.Join("\n  ", present) + "\nand run restore again.");
    }

    /// <summary>Each master key id in the copy must be configured and open one of the data keys it wrapped.</summary>
    private async Task CheckMasterKeysAsync(SqliteConnection copy, BackupContents contents, CancellationToken ct)
    {
        if (contents.MasterKeyIds.Count == 0) return;
        var devKey = Path.Combine(storage.Value.DataDirectory, "dev-master-key.b64");
        // Without a configured key the program would generate a fresh development key here, which opens nothing in the copy.
        if (string.IsNullOrWhiteSpace(encryption.Value.MasterKey) && !File.Exists(devKey))
            throw new BackupException($"The copy's personal data is wrapped by master key(s) {string.Join(", ", contents.MasterKeyIds)}, and no " +
                $"Encryption:MasterKey is configured. Configure them (Encryption:MasterKey/MasterKeyId, Encryption:PreviousKeys:<id>), or put the " +
                $"development key the copy was made with at {devKey}.");
        var protector = services.GetRequiredService<PersonalDataProtector>();
        var missing = contents.MasterKeyIds.Where(id => !protector.HasKey(id)).ToList();
        if (missing.Count > 0)
            throw new BackupException($"The copy needs master key(s) {string.Join(", ", missing)}, which are not configured: set " +
                "Encryption:PreviousKeys:<id> (or Encryption:MasterKey with Encryption:MasterKeyId) for each. Without them its personal data cannot be read.");
        foreach (var id in contents.MasterKeyIds)
        {
            var users = contents.Migrations.Any(m => m.StartsWith("0012_", StringComparison.Ordinal))
                ? "UNION ALL SELECT totp_wrapped_key FROM users WHERE totp_wrapped_key IS NOT NULL AND totp_master_key_id = @Id" : "";
            var wrapped = await copy.QueryFirstAsync<byte[]>(new CommandDefinition($"""
                SELECT wrapped_key FROM persons WHERE wrapped_key IS NOT NULL AND master_key_id = @Id
                UNION ALL SELECT wrapped_key FROM webhook_subscriptions WHERE master_key_id = @Id
                {users}
                LIMIT 1
                """, new { Id = id }, cancellationToken: ct));
            try
            {
                protector.Unwrap(wrapped, id);
            }
            catch (CryptographicException)
            {
                throw new BackupException($"The key configured as master key '{id}' does not open the copy's data keys wrapped under '{id}': it is another key with the same id.");
            }
        }
    }

    /// <summary>Every key the copy's checkpoints were signed with must be trusted, or /audit/verify fails after the restore.</summary>
    private void CheckCheckpointKeys(BackupContents contents)
    {
        if (contents.CheckpointKeyIds.Count == 0) return;
        var devKey = Path.Combine(storage.Value.DataDirectory, "dev-checkpoint-signing-key.pem");
        if (string.IsNullOrWhiteSpace(audit.Value.CheckpointSigningKey) && !File.Exists(devKey))
            throw new BackupException($"The copy's checkpoints are signed by key(s) {string.Join(", ", contents.CheckpointKeyIds)}, and no " +
                $"Audit:CheckpointSigningKey is configured. Configure it (and Audit:PreviousCheckpointPublicKeys for older keys), or put the " +
                $"development key the copy was made with at {devKey}.");
        using var verifier = services.GetRequiredService<CheckpointKeys>().Verifier();
        var unknown = contents.CheckpointKeyIds.Where(id => !verifier.Knows(id)).ToList();
        if (unknown.Count > 0)
            throw new BackupException($"The copy's checkpoints are signed by key(s) {string.Join(", ", unknown)}, which this configuration does not trust: " +
                "configure that signing key, or its public key under Audit:PreviousCheckpointPublicKeys.");
    }
}
