using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.ApiKeys;
using ReferralNetwork.Application.Features.Bootstrap;

namespace ReferralNetwork.Infrastructure.Bootstrap;

/// <summary>Settings under <c>Bootstrap:</c>.</summary>
public sealed class BootstrapOptions
{
    /// <summary>An <c>rn_…</c> key for the first network admin, used only while no network admin exists.</summary>
    public string? NetworkAdminKey { get; set; }
}

/// <summary>
/// Start-up's side of <see cref="BootstrapNetworkAdminCommand"/>: checks the configured key's shape and sends the command as
/// the system principal, in a scope of its own. Another replica bootstrapping at the same moment with the same key wins
/// with a duplicate key here — the outcome wanted — and this one reports that it created nothing.
/// </summary>
public sealed class NetworkAdminBootstrap(IServiceScopeFactory scopes, IDbSession session, ILogger<NetworkAdminBootstrap> logger)
{
    public async Task<bool> RunAsync(string? key, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(key)) return false;
        if (!ApiKeySecrets.LooksLikeKey(key) || key.Length < 24)
            throw new InvalidOperationException("Bootstrap:NetworkAdminKey must start with 'rn_' and be at least 24 characters long.");
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<CurrentPrincipal>().Principal = SystemPrincipal.Instance;
            if (!await scope.ServiceProvider.GetRequiredService<ISender>().Send(new BootstrapNetworkAdminCommand(key), ct)) return false;
            logger.LogInformation("Bootstrap: created the network admin.");
            return true;
        }
        catch (Exception e) when (session.Dialect.IsUniqueViolation(e))
        {
            return false;
        }
    }
}
