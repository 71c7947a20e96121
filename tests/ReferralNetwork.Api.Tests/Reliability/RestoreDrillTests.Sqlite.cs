using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.Sqlite;
using ReferralNetwork.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReferralNetwork.Api.Tests.Reliability;

/// <summary>
/// The drill on the embedded database: <c>backup &lt;file&gt;</c> from a second process while the API serves,
/// <c>restore &lt;file&gt;</c> into a fresh data folder (after it refused to restore without the right master key),
/// <c>verify-backup &lt;file&gt;</c> on the copy; one flipped byte anywhere, or a changed audit hash with the checksum
/// recomputed, fails it; a second restore over the served database is refused.
/// </summary>
public sealed class RestoreDrillTests_Sqlite(ITestOutputHelper output) : RestoreDrillTests(output)
{
    private string _folder = "";

    protected override Task<Dictionary<string, string>> LiveDatabaseAsync()
    {
        var folder = new SqliteTestDatabase();
        Cleanup.Add(folder);
        _folder = folder.DataDirectory;
        return Task.FromResult(new Dictionary<string, string> { ["Storage__DataDirectory"] = Path.Combine(_folder, "live") });
    }

    protected override async Task<string> BackupAsync(Dictionary<string, string> live)
    {
        var file = Path.Combine(_folder, "backups", "drill.db");
        var result = await ApiProcess.RunAsync(live, CommandTimeout, "backup", file);
        Assert.True(result.ExitCode == 0, result.ToString());
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file)));
        Assert.Matches($@"sha256\s+{sha256}", result.Output);
        Assert.Equal($"{sha256}  drill.db", (await File.ReadAllTextAsync(file + ".sha256")).Trim());
        Assert.Matches(@"checkpoint\s+\d+", result.Output);
        Assert.Matches(@"root\s+[0-9a-f]{64}", result.Output);
        Assert.Matches($@"bytes\s+{new FileInfo(file).Length}", result.Output);
        Assert.Matches(@"master keys\s+drill-1", result.Output);
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(file)!, "*.tmp-*")); // the temporary file was renamed
        Output.WriteLine(result.Output);
        return file;
    }

    protected override async Task<Dictionary<string, string>> RestoreAsync(Dictionary<string, string> live, string backup)
    {
        var fresh = Path.Combine(_folder, "restored");

        // What a restore needs: the master key that wrapped the copy's data keys. Without it, or with another key under
        // its id, restore refuses and creates nothing.
        var withoutKey = new Dictionary<string, string>(live) { ["Storage__DataDirectory"] = fresh };
        withoutKey.Remove("Encryption__MasterKey");
        withoutKey.Remove("Encryption__MasterKeyId");
        var refused = await ApiProcess.RunAsync(withoutKey, CommandTimeout, "restore", backup);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("master key(s) drill-1", refused.Error);
        var wrongKey = new Dictionary<string, string>(live) { ["Storage__DataDirectory"] = fresh, ["Encryption__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        refused = await ApiProcess.RunAsync(wrongKey, CommandTimeout, "restore", backup);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("does not open the copy's data keys wrapped under 'drill-1'", refused.Error);
        Assert.False(File.Exists(Path.Combine(fresh, "referralnetwork.db")));

        var restored = new Dictionary<string, string>(live) { ["Storage__DataDirectory"] = fresh };
        var result = await ApiProcess.RunAsync(restored, CommandTimeout, "restore", backup);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"into {Path.Combine(fresh, "referralnetwork.db")}", result.Output);
        Assert.Empty(Directory.EnumerateFiles(fresh, "*.tmp"));
        return restored;
    }

    protected override string[] VerifyTarget(string backup) => [backup];

    protected override async Task<DbConnection> OpenAsync(Dictionary<string, string> settings)
    {
        var file = Path.Combine(settings["Storage__DataDirectory"], "referralnetwork.db");
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    protected override async Task TamperedCopiesFailAsync(Dictionary<string, string> restored, string backup, Anchor anchor, ApiProcess api)
    {
        var original = await File.ReadAllBytesAsync(backup);

        // One byte flipped anywhere: the checksum beside the copy no longer matches.
        var offset = Random.Shared.Next(original.Length);
        var flipped = (byte[])original.Clone();
        flipped[offset] ^= 0x01;
        var tampered = await WriteCopyAsync("flipped.db", flipped, File.ReadAllText(backup + ".sha256").Replace("drill.db", "flipped.db"));
        var result = await ApiProcess.RunAsync(restored, CommandTimeout, "verify-backup", tampered);
        Output.WriteLine($"byte {offset} of {original.Length} flipped: verify-backup exit {result.ExitCode}");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("the file changed after it was written", result.Error);

        // One hex digit of an audit event's stored hash changed, and the checksum recomputed as someone covering it up
        // would: the chains no longer verify. (The hash's text also lies in free space inside pages, where SQLite left
        // cells it moved while building the copy; changing that changes no row, so the edit must be one the row shows.)
        var (globalSeq, hash) = await EventHashAsync(backup);
        var edited = await EditedRowAsync(original, globalSeq, hash);
        tampered = await WriteCopyAsync("covered.db", edited, $"{Convert.ToHexStringLower(SHA256.HashData(edited))}  covered.db\n");
        result = await ApiProcess.RunAsync(restored, CommandTimeout, "verify-backup", tampered, "--checkpoint", anchor.Sequence.ToString(), "--root", anchor.Root);
        Output.WriteLine($"the stored hash of audit event {globalSeq} changed: {result.Error.Split('\n')[0]}");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.DoesNotContain("the file changed after it was written", result.Error);
        Assert.Matches(new Regex("audit: (hash_mismatch|prev_hash_mismatch|head_mismatch|checkpoint_inconsistent)"), result.Error);

        // A second restore over the database being served is refused, says how to stop the API, and changes nothing.
        long referrals;
        await using (var connection = await OpenAsync(restored)) referrals = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM referrals");
        result = await ApiProcess.RunAsync(restored, CommandTimeout, "restore", backup);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("restore never overwrites a database", result.Error);
        Assert.Contains("Stop the API first", result.Error);
        Assert.Contains("an API is running on it", result.Error);
        await api.WaitUntilReadyAsync(TimeSpan.FromSeconds(10));
        await using (var connection = await OpenAsync(restored)) Assert.Equal(referrals, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM referrals"));
    }

    private async Task<string> WriteCopyAsync(string name, byte[] bytes, string checksum)
    {
        var path = Path.Combine(_folder, "backups", name);
        await File.WriteAllBytesAsync(path, bytes);
        await File.WriteAllTextAsync(path + ".sha256", checksum);
        return path;
    }

    private static async Task<(long GlobalSeq, string Hash)> EventHashAsync(string file)
    {
        await using var copy = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        return await copy.QueryFirstAsync<(long, string)>("SELECT global_seq, hash FROM audit_events WHERE stream_id LIKE 'referral/%' ORDER BY global_seq LIMIT 1");
    }

    /// <summary>The file with one hex digit of the event's hash changed where the event's row reads it.</summary>
    private async Task<byte[]> EditedRowAsync(byte[] original, long globalSeq, string hash)
    {
        var needle = Encoding.ASCII.GetBytes(hash);
        var probe = Path.Combine(_folder, "backups", "probe.db");
        for (var at = original.AsSpan().IndexOf(needle); at >= 0;)
        {
            var edited = (byte[])original.Clone();
            edited[at] = (byte)(edited[at] == (byte)'0' ? '1' : '0');
            await File.WriteAllBytesAsync(probe, edited);
            if ((await EventHashAsync(probe)) != (globalSeq, hash)) return edited;
            var next = original.AsSpan(at + 1).IndexOf(needle);
            at = next < 0 ? -1 : at + 1 + next;
        }
        throw new Xunit.Sdk.XunitException($"no byte of the file changes the stored hash of audit event {globalSeq}");
    }
}
