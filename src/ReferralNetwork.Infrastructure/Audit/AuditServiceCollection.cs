using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ReferralNetwork.Application.Features.Audit;
using ReferralNetwork.Infrastructure.Audit.Log;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Audit;

public static class AuditServiceCollection
{
    /// <summary>Checkpoint keys, writer and worker (<c>Audit:*</c>; the worker only when <c>Workers:Enabled</c>, default true), and the verifier.</summary>
    public static IServiceCollection AddAuditCheckpoints(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Audit").Get<AuditOptions>() ?? new AuditOptions();
        if (options.CheckpointInterval <= TimeSpan.Zero)
            throw new InvalidOperationException($"Audit:CheckpointInterval must be positive, not '{options.CheckpointInterval}'.");
        services.Configure<AuditOptions>(configuration.GetSection("Audit"));
        // Created on first use, so commands that never sign (migrate, openapi) neither load nor generate a key.
        services.AddSingleton(sp =>
        {
            var storage = configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
            var loggers = sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            return CheckpointKeys.Create(options, storage.DataDirectory, loggers.CreateLogger("ReferralNetwork.Audit"));
        });
        services.AddSingleton<ICheckpointPublicKey>(sp => sp.GetRequiredService<CheckpointKeys>());
        services.AddSingleton<CheckpointWriter>();
        services.AddScoped<IAuditVerifier, AuditVerifier>();
        if (configuration.GetValue("Workers:Enabled", true)) services.AddHostedService<Checkpointer>();
        services.AddTransparencyLog(configuration);
        return services;
    }
}
