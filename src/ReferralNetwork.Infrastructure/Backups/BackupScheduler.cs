using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ReferralNetwork.Infrastructure.Backups;

/// <summary>Settings under <c>Backup:</c>: scheduled SQLite backups, off unless <see cref="Directory"/> is set.</summary>
public sealed class BackupOptions
{
    /// <summary>Where scheduled backups go (a different disk, ideally mounted from elsewhere). Empty: no schedule.</summary>
    public string? Directory { get; set; }

    /// <summary>Time between two scheduled backups.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How many scheduled backups are kept; older ones (and their .sha256) are deleted after each new one.</summary>
    public int Keep { get; set; } = 7;

    public bool Scheduled => !string.IsNullOrWhiteSpace(Directory);
}

/// <summary>
/// Writes <c>referralnetwork-&lt;UTC time&gt;.db</c> (and its <c>.sha256</c>) into <c>Backup:Directory</c> every
/// <c>Backup:Interval</c> while <c>Workers:Enabled</c>, then keeps the newest <c>Backup:Keep</c>. The first backup is
/// due one interval after the newest one already there (at once when there is none), so restarts neither skip nor
/// pile up backups. A failed backup is logged and tried again after the next interval; it never stops the API.
/// </summary>
public sealed class BackupScheduler(SqliteBackup backup, TimeProvider time, IOptions<BackupOptions> options, IOptions<WorkersOptions> workers, ILogger<BackupScheduler> logger)
    : BackgroundService
{
    public const string Prefix = "referralnetwork-";
    private const string TimeFormat = "yyyyMMdd'T'HHmmssfff'Z'";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Scheduled || !workers.Value.Enabled) return;
        var directory = Path.GetFullPath(settings.Directory!);
        Directory.CreateDirectory(directory);
        logger.LogInformation("Scheduled backups every {Interval} into {Directory}, keeping {Keep}.", settings.Interval, directory, settings.Keep);
        var next = (Newest(directory) ?? DateTimeOffset.MinValue) + settings.Interval;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = next - time.GetUtcNow();
            try
            {
                if (wait > TimeSpan.Zero) await Task.Delay(wait, time, stoppingToken);
                await RunOnceAsync(directory, settings.Keep, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "A scheduled backup failed; the next is due in {Interval}.", settings.Interval);
            }
            next = time.GetUtcNow() + settings.Interval;
        }
    }

    public async Task<BackupReport> RunOnceAsync(string directory, int keep, CancellationToken ct)
    {
        // Temporary files left by a crash mid-backup; an hour old, so that a backup still being written is never one.
        foreach (var stale in Directory.EnumerateFiles(directory, $"{Prefix}*.tmp-*").Where(f => File.GetLastWriteTimeUtc(f) < DateTime.UtcNow.AddHours(-1)))
            File.Delete(stale);
        var name = Prefix + time.GetUtcNow().UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture) + ".db";
        var report = await backup.WriteAsync(Path.Combine(directory, name), ct);
        logger.LogInformation("Backup {Path}: {Bytes} bytes, checkpoint {Checkpoint} root {Root}, SHA-256 {Sha256}.",
            report.Path, report.Bytes, report.Contents.CheckpointSequence, report.Contents.CheckpointRoot, report.Sha256);
        foreach (var old in Backups(directory).Skip(keep))
        {
            File.Delete(old.Path);
            File.Delete(BackupFile.ChecksumPath(old.Path));
        }
        return report;
    }

    /// <summary>The scheduled backups in a folder, newest first (by the time in their names).</summary>
    public static IReadOnlyList<(string Path, DateTimeOffset TakenAt)> Backups(string directory)
    {
        var found = new List<(string Path, DateTimeOffset TakenAt)>();
        foreach (var path in Directory.EnumerateFiles(directory, $"{Prefix}*.db"))
            if (DateTimeOffset.TryParseExact(Path.GetFileNameWithoutExtension(path)[Prefix.Length..], TimeFormat, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal, out var takenAt))
                found.Add((path, takenAt));
        return found.OrderByDescending(b => b.TakenAt).ToList();
    }

    private static DateTimeOffset? Newest(string directory) => Backups(directory).Select(b => (DateTimeOffset?)b.TakenAt).FirstOrDefault();
}
