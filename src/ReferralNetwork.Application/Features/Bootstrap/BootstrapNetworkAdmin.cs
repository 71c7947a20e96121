using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.ApiKeys;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Organisations;

namespace ReferralNetwork.Application.Features.Bootstrap;

/// <summary>
/// DESIGN §7: with a configured bootstrap key and no network admin yet, create a network_coordinator organisation and a
/// network_admin key with that secret. Sent by start-up as the system principal, through the same pipeline (and unit of
/// work, and audit) as every other write. True when it created the admin.
/// </summary>
[AllowedRoles(Role.System)]
public sealed record BootstrapNetworkAdminCommand(string Key) : ICommand<bool>;

public sealed class BootstrapNetworkAdminHandler(IDbSession session, IAuditLog audit, Clock clock) : ICommandHandler<BootstrapNetworkAdminCommand, bool>
{
    public async ValueTask<bool> Handle(BootstrapNetworkAdminCommand command, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var admins = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM api_keys WHERE roles LIKE @Role AND revoked_at IS NULL", new { Role = "%network_admin%" }, session.Transaction, cancellationToken: ct));
        if (admins > 0) return false;
        var now = clock.Now();
        var organisationId = Guid.CreateVersion7();
        var keyId = Guid.CreateVersion7();
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO organisations (id, name, kind, municipality, capacity, contact_email, contact_phone, active, created_at, version)
            VALUES (@Id, @Name, @Kind, @Municipality, NULL, NULL, NULL, @Active, @Now, 1)
            """, new { Id = organisationId, Name = "Network coordination", Kind = OrganisationKind.NetworkCoordinator.Code(), Municipality = "Beograd", Active = true, Now = now },
            session.Transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("INSERT INTO organisation_languages (organisation_id, language) VALUES (@Id, @Sr), (@Id, @En)",
            new { Id = organisationId, Sr = "sr", En = "en" }, session.Transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO api_keys (id, organisation_id, name, roles, key_hash, prefix, created_at, created_by)
            VALUES (@Id, @OrganisationId, @Name, @Roles, @Hash, @Prefix, @Now, NULL)
            """, new { Id = keyId, OrganisationId = organisationId, Name = "bootstrap network admin", Roles = Role.NetworkAdmin.Code(),
                Hash = ApiKeySecrets.Hash(command.Key), Prefix = ApiKeySecrets.DisplayPrefix(command.Key), Now = now }, session.Transaction, cancellationToken: ct));
        audit.Record(new AuditEntry(AuditStreams.Organisation(organisationId), "organisation.created",
            new Dictionary<string, object?> { ["organisationId"] = organisationId, ["kind"] = OrganisationKind.NetworkCoordinator.Code(), ["bootstrap"] = true })
            { ExpectedHead = KnownHead.NewStream });
        audit.Record(new AuditEntry(AuditStreams.Organisation(organisationId), "api_key.created",
            new Dictionary<string, object?> { ["apiKeyId"] = keyId, ["roles"] = new[] { Role.NetworkAdmin.Code() }, ["bootstrap"] = true }));
        return true;
    }
}
