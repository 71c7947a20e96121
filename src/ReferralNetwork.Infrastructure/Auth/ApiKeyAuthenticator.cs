using System.Security.Cryptography;
using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.ApiKeys;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Infrastructure.Auth;

/// <summary>
/// Finds the principal of an API key: the key's SHA-256 is looked up by index, then compared in constant time.
/// Revoked keys are excluded in the query, and nothing is cached, so a revocation holds from the next request on.
/// </summary>
public sealed class ApiKeyAuthenticator(IDbSession session)
{
    private sealed record KeyRow
    {
        public Guid Id { get; init; }
        public Guid OrganisationId { get; init; }
        public string Name { get; init; } = "";
        public string Roles { get; init; } = "";
        public byte[] KeyHash { get; init; } = [];
    }

    public async Task<Principal?> AuthenticateAsync(string key, CancellationToken ct)
    {
        if (!ApiKeySecrets.LooksLikeKey(key)) return null;
        var hash = ApiKeySecrets.Hash(key);
        var connection = await session.ConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition(
            "SELECT id, organisation_id AS OrganisationId, name, roles, key_hash AS KeyHash FROM api_keys WHERE key_hash = @Hash AND revoked_at IS NULL",
            new { Hash = hash }, cancellationToken: ct));
        if (row is null || !CryptographicOperations.FixedTimeEquals(row.KeyHash, hash)) return null;
        var roles = row.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Wire.Parse<Role>).ToHashSet();
        return new Principal(row.Id, row.OrganisationId, roles, row.Name);
    }
}
