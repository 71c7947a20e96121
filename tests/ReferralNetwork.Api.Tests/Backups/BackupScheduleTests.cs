using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Infrastructure.Backups;

namespace ReferralNetwork.Api.Tests.Backups;

/// <summary>The API with workers on and an hourly schedule keeping two backups; the test clock drives it.</summary>
public sealed class ScheduledBackupFixture : SqliteApiFixture
{
    public string Backups => Path.Combine(DataDirectory, "backups");

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Workers:Enabled"] = "true",
        ["Backup:Directory"] = Backups,
        ["Backup:Interval"] = "01:00:00",
        ["Backup:Keep"] = "2",
    };
}

public sealed class BackupScheduleTests(ScheduledBackupFixture fixture) : IClassFixture<ScheduledBackupFixture>
{
    [Fact]
    public async Task Scheduled_backups_are_taken_every_interval_while_serving_and_only_the_newest_are_kept()
    {
        var network = new TestNetwork(fixture);
        var seen = new List<string>();
        for (var attempt = 0; attempt < 200 && seen.Count < 3; attempt++)
        {
            // Writes between backups: each backup is taken while the API serves.
            var referrer = await network.OrganisationAsync();
            await network.SubmitAsync(referrer, await network.OrganisationAsync());
            var newest = Directory.Exists(fixture.Backups) ? BackupScheduler.Backups(fixture.Backups).Select(b => b.Path).FirstOrDefault() : null;
            if (newest is not null && !seen.Contains(newest)) seen.Add(newest);
            // In steps, so that an advance made before the scheduler started waiting is never its whole interval.
            fixture.Time.Advance(TimeSpan.FromMinutes(20));
            await Task.Delay(50);
        }
        Assert.Equal(3, seen.Count);

        var kept = BackupScheduler.Backups(fixture.Backups);
        Assert.Equal(seen.Skip(1).Reverse(), kept.Select(b => b.Path));          // the oldest was deleted, the two newest kept
        Assert.True(kept[0].TakenAt - kept[1].TakenAt >= TimeSpan.FromHours(1));  // at least an interval apart, by the clock
        Assert.False(File.Exists(seen[0]) || File.Exists(BackupFile.ChecksumPath(seen[0])));
        foreach (var (path, _) in kept)
        {
            Assert.Empty(await BackupFile.CheckAsync(path, CancellationToken.None));
            Assert.NotNull(await BackupFile.ReadChecksumAsync(path, CancellationToken.None));
        }
        Assert.Empty(Directory.EnumerateFiles(fixture.Backups, "*.tmp-*"));
        Assert.Equal(4, Directory.EnumerateFiles(fixture.Backups).Count()); // two backups, two checksums
    }
}
