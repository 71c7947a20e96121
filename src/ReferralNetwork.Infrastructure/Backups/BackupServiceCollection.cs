using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Backups;

public static class BackupServiceCollection
{
    /// <summary>
    /// The backup and restore services, and the schedule (<c>Backup:*</c>). A schedule that cannot work is refused at
    /// start-up rather than discovered on the day a backup is needed.
    /// </summary>
    public static IServiceCollection AddBackups(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Backup").Get<BackupOptions>() ?? new BackupOptions();
        if (options.Scheduled)
        {
            var provider = (configuration.GetSection("Database").Get<DatabaseOptions>() ?? new DatabaseOptions()).ParsedProvider;
            if (provider != DatabaseProvider.Sqlite)
                throw new InvalidOperationException($"Backup:Directory schedules SQLite backups, but Database:Provider is '{provider}': back that " +
                    "database up with its own tools (pg_dump or WAL archiving; BACKUP DATABASE … WITH CHECKSUM), as README \"Backups and restore\" shows.");
            if (options.Interval <= TimeSpan.Zero || options.Interval > TimeSpan.FromDays(30))
                throw new InvalidOperationException($"Backup:Interval must be more than zero and at most 30 days, not '{options.Interval}'.");
            if (options.Keep < 1) throw new InvalidOperationException($"Backup:Keep must be at least 1, not {options.Keep}.");
        }
        services.Configure<BackupOptions>(configuration.GetSection("Backup"));
        services.AddSingleton<SqliteBackup>();
        services.AddSingleton<SqliteRestore>();
        // Always registered; it does nothing unless Backup:Directory is set and Workers:Enabled (checked when it starts).
        services.AddHostedService<BackupScheduler>();
        return services;
    }
}
