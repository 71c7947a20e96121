using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Audit;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Audit.Log;

public static class TransparencyLogServices
{
    /// <summary>The transparency log (<c>Audit:LogOrigin</c>, <c>Audit:LogSigningKey</c>, <c>Audit:Witnesses</c>): identity, sequencer,
    /// checkpoint writer, witness client, reader and verifier, the receipt-recording appender, and the fail-closed key check.</summary>
    public static IServiceCollection AddTransparencyLog(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<TransparencyLogOptions>(configuration.GetSection("Audit"));
        // Created on first use, so commands that never sign (migrate, openapi) neither load nor generate a key.
        services.AddSingleton(sp =>
        {
            var options = configuration.GetSection("Audit").Get<TransparencyLogOptions>() ?? new TransparencyLogOptions();
            var storage = configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
            var loggers = sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            Func<(string, string)>? development = sp.GetService<IHostEnvironment>()?.IsDevelopment() == true
                ? () => (Crypto.DevelopmentKeys.LogSigningKey(configuration, storage.DataDirectory, out var path), path)
                : null;
            return LogIdentity.Create(options, development, loggers.CreateLogger("ReferralNetwork.Audit"));
        });
        services.AddSingleton<LogSequencer>();
        services.AddSingleton<WitnessClient>();
        services.AddSingleton<LogCheckpointWriter>();
        services.AddScoped<LogVerifier>();
        services.AddScoped<ITransparencyLog, TransparencyLogReader>();
        services.AddSingleton<AuditAppender>();
        services.Replace(ServiceDescriptor.Singleton<IAuditAppender>(sp => new ReceiptRecordingAppender(sp.GetRequiredService<AuditAppender>())));
        services.AddHostedService(sp => new LogKeyStartupCheck(sp, sp.GetRequiredService<IHostEnvironment>(), sp.GetRequiredService<IConfiguration>()));
        return services;
    }
}
