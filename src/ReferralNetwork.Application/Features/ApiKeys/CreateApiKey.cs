using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Organisations;

namespace ReferralNetwork.Application.Features.ApiKeys;

[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin)]
public sealed record CreateApiKeyCommand(Guid OrganisationId, string? Name, IReadOnlyList<string>? Roles) : ICommand<CreatedApiKeyView>;

public sealed class CreateApiKeyValidator : AbstractValidator<CreateApiKeyCommand>
{
    public CreateApiKeyValidator()
    {
        RuleFor(c => c.Name).NotEmpty().IsText(100);
        RuleFor(c => c.Roles).NotEmpty().Must(r => r is null || r.Count <= 6).WithMessage("At most 6 roles.");
        RuleForEach(c => c.Roles).NotEmpty().IsCode<CreateApiKeyCommand, Role>()
            .Must(r => r != Role.System.Code()).WithMessage("'system' is the system's own role; no key can hold it.");
    }
}

public sealed class CreateApiKeyHandler(IDbSession session, IAuditLog audit, ICurrentPrincipal current, Clock clock) : ICommandHandler<CreateApiKeyCommand, CreatedApiKeyView>
{
    /// <summary>What an organisation's own admin may hand out: never network-wide powers.</summary>
    private static readonly Role[] OrgAdminGrantable = [Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem];

    public async ValueTask<CreatedApiKeyView> Handle(CreateApiKeyCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        if (!principal.Has(Role.NetworkAdmin) && principal.OrganisationId != command.OrganisationId)
            throw new NotFoundException("The organisation");
        var connection = await session.ConnectionAsync(ct);
        var kind = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT kind FROM organisations WHERE id = @Id", new { Id = command.OrganisationId }, session.Transaction, cancellationToken: ct))
            ?? throw new NotFoundException("The organisation");

        var roles = command.Roles!.Select(Wire.Parse<Role>).Distinct().Order().ToList();
        if (!principal.Has(Role.NetworkAdmin) && roles.Any(r => !OrgAdminGrantable.Contains(r)))
            throw new ForbiddenException("An organisation admin may grant only org_admin, caseworker, supervisor and partner_system.");
        if (roles.Contains(Role.NetworkAdmin) && kind != OrganisationKind.NetworkCoordinator.Code())
            throw new RuleViolationException("api_key.network_admin_outside_coordinator", "The network_admin role belongs only to a network_coordinator organisation.");
        if (roles.Contains(Role.Auditor) && roles.Count > 1)
            throw new RuleViolationException("api_key.auditor_exclusive", "An auditor key holds no other role, so that it can never read identities.");

        var key = ApiKeySecrets.NewKey();
        var id = Guid.CreateVersion7();
        var now = clock.Now();
        var roleCodes = roles.Select(r => r.Code()).ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO api_keys (id, organisation_id, name, roles, key_hash, prefix, created_at, created_by)
            VALUES (@Id, @OrganisationId, @Name, @Roles, @Hash, @Prefix, @Now, @CreatedBy)
            """, new { Id = id, command.OrganisationId, command.Name, Roles = string.Join(',', roleCodes), Hash = ApiKeySecrets.Hash(key),
                Prefix = ApiKeySecrets.DisplayPrefix(key), Now = now, CreatedBy = principal.Id }, session.Transaction, cancellationToken: ct));
        audit.Record(new AuditEntry(AuditStreams.Organisation(command.OrganisationId), "api_key.created",
            new Dictionary<string, object?> { ["apiKeyId"] = id, ["roles"] = roleCodes }));
        return new CreatedApiKeyView(id, command.OrganisationId, command.Name!, roleCodes, ApiKeySecrets.DisplayPrefix(key), now, key);
    }
}
