using System.Security.Cryptography;
using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.ApiKeys;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Infrastructure.Auth;

/// <summary>Why a presented API key was not accepted: a code for the 401 problem (<c>reason</c>) and a sentence.</summary>
public sealed record ApiKeyRefusal(string Reason, string Message)
{
    public static readonly ApiKeyRefusal Invalid = new("invalid_key", "The API key is unknown or revoked.");
    public static readonly ApiKeyRefusal Expired = new("key_expired", "The API key has expired; ask your organisation's admin for a new one.");
    public static readonly ApiKeyRefusal OrganisationInactive = new("organisation_inactive",
        "The API key's organisation is deactivated in the network; its keys work again once the network admin reactivates it.");
}

/// <summary>
/// Finds the principal of an API key: the key's SHA-256 is looked up by index, then compared in constant time.
/// Revoked keys are excluded in the query, and nothing is cached, so a revocation — or an expiry, or the deactivation
/// of the key's organisation — holds from the next request on.
/// </summary>
public sealed class ApiKeyAuthenticator(IDbSession session, Clock clock)
{
    private sealed record KeyRow
    {
        public Guid Id { get; init; }
        public Guid OrganisationId { get; init; }
        public string Name { get; init; } = "";
        public string Roles { get; init; } = "";
        public byte[] KeyHash { get; init; } = [];
        public DateTimeOffset? ExpiresAt { get; init; }
        public bool OrganisationActive { get; init; }
    }

    /// <summary>The principal, or why the key is refused.</summary>
    public async Task<(Principal? Principal, ApiKeyRefusal? Refusal)> AuthenticateAsync(string key, CancellationToken ct)
    {
        if (!ApiKeySecrets.LooksLikeKey(key)) return (null, ApiKeyRefusal.Invalid);
        var hash = ApiKeySecrets.Hash(key);
        var connection = await session.ConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition("""
            SELECT k.id, k.organisation_id AS OrganisationId, k.name, k.roles, k.key_hash AS KeyHash, k.expires_at AS ExpiresAt,
                   o.active AS OrganisationActive
            FROM api_keys k JOIN organisations o ON o.id = k.organisation_id
            WHERE k.key_hash = @Hash AND k.revoked_at IS NULL
            """, new { Hash = hash }, cancellationToken: ct));
        if (row is null || !CryptographicOperations.FixedTimeEquals(row.KeyHash, hash)) return (null, ApiKeyRefusal.Invalid);
        if (row.ExpiresAt is { } expiresAt && expiresAt <= clock.Now()) return (null, ApiKeyRefusal.Expired);
        if (!row.OrganisationActive) return (null, ApiKeyRefusal.OrganisationInactive);
        var roles = row.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Wire.Parse<Role>).ToHashSet();
        return (new Principal(row.Id, row.OrganisationId, roles, row.Name), null);
    }
}
