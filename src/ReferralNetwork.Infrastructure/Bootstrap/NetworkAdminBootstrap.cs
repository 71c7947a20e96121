using Dapper;
using Microsoft.Extensions.Logging;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.ApiKeys;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Organisations;

namespace ReferralNetwork.Infrastructure.Bootstrap;

/// <summary>Settings under <c>Bootstrap:</c>.</summary>
public sealed class BootstrapOptions
{
    /// <summary>An <c>rn_…</c> key for the first network admin, used only while no network admin exists.</summary>
    public string? NetworkAdminKey { get; set; }
}

/// <summary>
/// DESIGN §7: with a configured bootstrap key and no network admin yet, create a network_coordinator organisation and a
/// network_admin key with that secret. Everything else is created through the API. Audited like any other write.
/// </summary>
public sealed class NetworkAdminBootstrap(IDbSession session, IAuditAppender appender, Clock clock, ILogger<NetworkAdminBootstrap> logger)
{
    public async Task<bool> RunAsync(string? key, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(key)) return false;
        if (!ApiKeySecrets.LooksLikeKey(key) || key.Length < 24)
            throw new InvalidOperationException("Bootstrap:NetworkAdminKey must start with 'rn_' and be at least 24 characters long.");
        await session.BeginAsync(ct);
        try
        {
            var connection = await session.ConnectionAsync(ct);
            var admins = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM api_keys WHERE roles LIKE @Role AND revoked_at IS NULL", new { Role = "%network_admin%" }, session.Transaction, cancellationToken: ct));
            if (admins > 0)
            {
                await session.RollbackAsync(ct);
                return false;
            }
            var now = clock.Now();
            var organisationId = Guid.CreateVersion7();
            var keyId = Guid.CreateVersion7();
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO organisations (id, name, kind, municipality, capacity, contact_email, contact_phone, active, created_at, version)
                VALUES (@Id, @Name, @Kind, @Municipality, NULL, NULL, NULL, @Active, @Now, 1)
                """, new { Id = organisationId, Name = "Network coordination", Kind = OrganisationKind.NetworkCoordinator.Code(), Municipality = "Beograd", Active = true, Now = now },
                session.Transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO organisation_languages (organisation_id, language) VALUES (@Id, @Language)",
                new[] { new { Id = organisationId, Language = "sr" }, new { Id = organisationId, Language = "en" } }, session.Transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO api_keys (id, organisation_id, name, roles, key_hash, prefix, created_at, created_by)
                VALUES (@Id, @OrganisationId, @Name, @Roles, @Hash, @Prefix, @Now, NULL)
                """, new { Id = keyId, OrganisationId = organisationId, Name = "bootstrap network admin", Roles = Role.NetworkAdmin.Code(),
                    Hash = ApiKeySecrets.Hash(key), Prefix = ApiKeySecrets.DisplayPrefix(key), Now = now }, session.Transaction, cancellationToken: ct));
            await appender.AppendAsync(session, null, [
                new AuditEntry(AuditStreams.Organisation(organisationId), "organisation.created",
                    new Dictionary<string, object?> { ["organisationId"] = organisationId, ["kind"] = OrganisationKind.NetworkCoordinator.Code(), ["bootstrap"] = true }),
                new AuditEntry(AuditStreams.Organisation(organisationId), "api_key.created",
                    new Dictionary<string, object?> { ["apiKeyId"] = keyId, ["roles"] = new[] { Role.NetworkAdmin.Code() }, ["bootstrap"] = true }),
            ], ct);
            await session.CommitAsync(ct);
            logger.LogInformation("Bootstrap: created the network admin in organisation {OrganisationId}", organisationId);
            return true;
        }
        catch (Exception e) when (session.Dialect.IsUniqueViolation(e))
        {
            // Another replica bootstrapped at the same moment with the same key: that is the outcome we wanted.
            await session.RollbackAsync(CancellationToken.None);
            return false;
        }
        catch
        {
            await session.RollbackAsync(CancellationToken.None);
            throw;
        }
    }
}
