using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.ApiKeys;

/// <summary>Revocation takes effect on the key's next request: keys are looked up on every call, never cached.</summary>
[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin)]
public sealed record RevokeApiKeyCommand(Guid Id) : ICommand<ApiKeyView>;

public sealed class RevokeApiKeyHandler(IDbSession session, IAuditLog audit, ICurrentPrincipal current, Clock clock) : ICommandHandler<RevokeApiKeyCommand, ApiKeyView>
{
    public async ValueTask<ApiKeyView> Handle(RevokeApiKeyCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var connection = await session.ConnectionAsync(ct);
        const string select = """
            SELECT id, organisation_id AS OrganisationId, name, roles, prefix, created_at AS CreatedAt, revoked_at AS RevokedAt, expires_at AS ExpiresAt
            FROM api_keys WHERE id = @Id
            """;
        var row = await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(new CommandDefinition(select, new { command.Id }, session.Transaction, cancellationToken: ct));
        if (row is null || (!principal.Has(Role.NetworkAdmin) && row.OrganisationId != principal.OrganisationId))
            throw new NotFoundException("The API key");
        if (row.RevokedAt is not null) return row.ToView();
        await connection.ExecuteAsync(new CommandDefinition("UPDATE api_keys SET revoked_at = @Now WHERE id = @Id AND revoked_at IS NULL",
            new { command.Id, Now = clock.Now() }, session.Transaction, cancellationToken: ct));
        audit.Record(new AuditEntry(AuditStreams.Organisation(row.OrganisationId), "api_key.revoked", new Dictionary<string, object?> { ["apiKeyId"] = command.Id }));
        return (await connection.QuerySingleAsync<ApiKeyRow>(new CommandDefinition(select, new { command.Id }, session.Transaction, cancellationToken: ct))).ToView();
    }
}
