using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ReferralNetwork.Application;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Attachments;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Application.Features.Protocols;
using ReferralNetwork.Application.Features.Referrals;
using ReferralNetwork.Infrastructure.Audit;
using ReferralNetwork.Infrastructure.Auth;
using ReferralNetwork.Infrastructure.Backups;
using ReferralNetwork.Infrastructure.Bootstrap;
using ReferralNetwork.Infrastructure.Crypto;
using ReferralNetwork.Infrastructure.Deadlines;
using ReferralNetwork.Infrastructure.Idempotency;
using ReferralNetwork.Infrastructure.Persistence;
using ReferralNetwork.Infrastructure.Webhooks;

namespace ReferralNetwork.Infrastructure;

public static class DependencyInjection
{
    public const string ConnectionStringName = "ReferralNetwork";

    public static IServiceCollection AddReferralNetworkInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        DapperTypes.Register();
        services.Configure<DatabaseOptions>(configuration.GetSection("Database"));
        services.Configure<StorageOptions>(configuration.GetSection("Storage"));
        services.Configure<EncryptionOptions>(configuration.GetSection("Encryption"));
        services.Configure<BootstrapOptions>(configuration.GetSection("Bootstrap"));
        services.Configure<WorkersOptions>(configuration.GetSection("Workers"));
        services.Configure<DeadlineOptions>(configuration.GetSection("Deadlines"));
        services.Configure<IdempotencyOptions>(configuration.GetSection("Idempotency"));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Clock>();

        services.AddSingleton(sp =>
        {
            var database = configuration.GetSection("Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
            var storage = configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
            var connectionString = configuration.GetConnectionString(ConnectionStringName);
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                if (database.ParsedProvider != DatabaseProvider.Sqlite)
                    throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} is required for Database:Provider '{database.Provider}'.");
                Directory.CreateDirectory(storage.DataDirectory);
                connectionString = $"Data Source={Path.Combine(storage.DataDirectory, "referralnetwork.db")};Pooling=True";
            }
            if (configuration["Database:CommandTimeoutSeconds"] is not null)
                connectionString = WithCommandTimeout(database.ParsedProvider, connectionString, database.CommandTimeoutSeconds);
            return new ConnectionFactory(database.ParsedProvider, connectionString)
            {
                BusyTimeoutMilliseconds = Math.Max(0, database.BusyTimeoutMilliseconds),
                WriteGateTimeout = TimeSpan.FromSeconds(Math.Max(1, database.WriteGateTimeoutSeconds)),
                // Registered only by tests (see DatabaseFaultInjection); production leaves it off.
                Faults = sp.GetService<DatabaseFaultInjection>(),
                Counter = database.CountStatements && database.ParsedProvider == DatabaseProvider.Sqlite ? sp.GetRequiredService<StatementCounter>() : null,
                Grouping = database.GroupCommit,
            };
        });
        services.AddSingleton<StatementCounter>();
        services.AddSingleton<Migrator>();
        services.AddScoped<DbSession>();
        services.AddScoped<IDbSession>(sp => sp.GetRequiredService<DbSession>());
        services.AddScoped<IAuditLog, AuditLog>();
        services.AddSingleton<IAuditAppender, AuditAppender>();
        services.AddSingleton(_ => CreateProtector(configuration));
        services.AddSingleton<IPersonalDataProtector>(sp => sp.GetRequiredService<PersonalDataProtector>());
        services.AddSingleton<IBlindIndex, BlindIndex>();
        services.AddScoped<PersonStore>();
        services.AddScoped<PersonSearchIndex>();
        services.AddScoped<ConsentStore>();
        services.AddSingleton(configuration.GetSection("Attachments").Get<AttachmentOptions>() ?? new AttachmentOptions());
        services.AddScoped<DatabaseAttachmentContent>();
        services.AddScoped<AttachmentContents>();
        services.AddScoped<AttachmentStore>();
        services.AddScoped<MasterKeyRotation>();
        services.AddSingleton<PublishedProtocols>();
        services.AddScoped<ProtocolStore>();
        services.AddScoped<ReferralReader>();
        services.AddScoped<ReferralRepository>();
        services.AddScoped<EscalationTargets>();
        services.AddScoped<ReferralNotes>();
        services.AddScoped<ReferralTransitions>();
        services.AddScoped<ReferralAssignment>();
        services.AddScoped<ApiKeyAuthenticator>();
        services.AddScoped<SessionAuthenticator>();
        services.AddScoped<IssuerUserAuthenticator>();
        services.AddScoped<ReferralNetwork.Application.Features.Users.UserStore>();
        services.Configure<ReferralNetwork.Application.Features.Users.UserSecurityOptions>(configuration.GetSection("Authentication"));
        services.AddScoped<NetworkAdminBootstrap>();
        services.AddReferralNetworkWebhooks(configuration);
        services.AddScoped<IdempotencyContext>();
        services.AddScoped<ReaderLanguage>();
        services.AddScoped<IdempotencyStore>();
        services.AddScoped<DeadlineMonitor>();
        // Always registered; it checks Workers:Enabled when it starts (read then, so every configuration source counts).
        services.AddHostedService<DeadlineMonitorService>();
        services.AddAuditCheckpoints(configuration);
        services.AddBackups(configuration);
        return services;
    }

    /// <summary>
    /// Database:CommandTimeoutSeconds as each provider's connection-string keyword: Npgsql and SqlClient cancel a command
    /// after it; Microsoft.Data.Sqlite retries a locked statement that long (its only use of the timeout).
    /// </summary>
    private static string WithCommandTimeout(DatabaseProvider provider, string connectionString, int seconds)
    {
        var timeout = Math.Max(1, seconds);
        return provider switch
        {
            DatabaseProvider.Postgres => new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = timeout }.ConnectionString,
            DatabaseProvider.SqlServer => new Microsoft.Data.SqlClient.SqlConnectionStringBuilder(connectionString) { CommandTimeout = timeout }.ConnectionString,
            _ => new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = timeout }.ConnectionString,
        };
    }

    /// <summary>
    /// The envelope-encryption keys. Without <c>Encryption:MasterKey</c> nothing can be sealed or opened, so this fails
    /// closed: the API's start-up checks refuse to run without it (in Development they supply a generated one first).
    /// </summary>
    private static PersonalDataProtector CreateProtector(IConfiguration configuration)
    {
        var options = configuration.GetSection("Encryption").Get<EncryptionOptions>() ?? new EncryptionOptions();
        if (string.IsNullOrWhiteSpace(options.MasterKey))
            throw new InvalidOperationException("Encryption:MasterKey is not configured (base64 of 32 random bytes).");
        var keys = options.PreviousKeys.ToDictionary(p => p.Key, p => Convert.FromBase64String(p.Value));
        keys[options.MasterKeyId] = Convert.FromBase64String(options.MasterKey);
        return new PersonalDataProtector(options.MasterKeyId, keys);
    }
}
