using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Organisations;

namespace ReferralNetwork.Application.Features.ApiKeys;

/// <summary>A new API key with roles and, optionally, an expiry (401 from <c>expiresAt</c> on).</summary>
[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin)]
public sealed record CreateApiKeyCommand(Guid OrganisationId, string? Name, IReadOnlyList<string>? Roles, DateTimeOffset? ExpiresAt = null)
    : ICommand<CreatedApiKeyView>;

public sealed class CreateApiKeyValidator : AbstractValidator<CreateApiKeyCommand>
{
    public CreateApiKeyValidator(TimeProvider time)
    {
        RuleFor(c => c.Name).NotEmpty().IsText(100);
        RuleFor(c => c.Roles).NotEmpty().Must(r => r is null || r.Count <= 6).WithMessage("At most 6 roles.");
        RuleForEach(c => c.Roles).NotEmpty().IsCode<CreateApiKeyCommand, Role>()
            .Must(r => r != Role.System.Code()).WithMessage("'system' is the system's own role; no key can hold it.")
            .Must(r => r != Role.Anonymous.Code()).WithMessage("'anonymous' names no one; no key can hold it.");
        RuleFor(c => c.ExpiresAt).Must(e => e is null || e > time.GetUtcNow()).WithMessage("expiresAt must lie in the future.");
    }
}

/// <summary>
/// Who may grant what. An organisation's admin grants its own organisation's roles. The network admin "never sees
/// personal data" (DESIGN §1), so it may not mint itself a key that does: it grants <c>network_admin</c> (in a
/// network coordinator), <c>auditor</c>, and an organisation's first <c>org_admin</c> — its very first: once the
/// organisation has had one (even revoked or expired since), its own admins grant every role. Otherwise the network admin
/// could revoke an organisation's admins, mint itself a new one, and through it a caseworker.
/// </summary>
public sealed class CreateApiKeyHandler(IDbSession session, IAuditLog audit, ICurrentPrincipal current, Clock clock) : ICommandHandler<CreateApiKeyCommand, CreatedApiKeyView>
{
    /// <summary>What an organisation's own admin may hand out: never network-wide powers.</summary>
    private static readonly Role[] OrgAdminGrantable = [Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem];

    /// <summary>Roles that read referrals' reasons, notes or identities: never granted by the network admin.</summary>
    private static readonly Role[] ReadPersonalData = [Role.Caseworker, Role.Supervisor, Role.PartnerSystem];

    public async ValueTask<CreatedApiKeyView> Handle(CreateApiKeyCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var byNetworkAdmin = principal.Has(Role.NetworkAdmin);
        if (!byNetworkAdmin && principal.OrganisationId != command.OrganisationId)
            throw new NotFoundException("The organisation");
        var connection = await session.ConnectionAsync(ct);
        var kind = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT kind FROM organisations WHERE id = @Id", new { Id = command.OrganisationId }, session.Transaction, cancellationToken: ct))
            ?? throw new NotFoundException("The organisation");

        var roles = command.Roles!.Select(Wire.Parse<Role>).Distinct().Order().ToList();
        if (!byNetworkAdmin && roles.Any(r => !OrgAdminGrantable.Contains(r)))
            throw new ForbiddenException("An organisation admin may grant only org_admin, caseworker, supervisor and partner_system.");
        if (byNetworkAdmin && roles.Any(ReadPersonalData.Contains))
            throw new ForbiddenException("The network admin never grants roles that read personal data (caseworker, supervisor, partner_system): the organisation's own org_admin does. The network admin may create an organisation's first org_admin key.");
        if (roles.Contains(Role.NetworkAdmin) && kind != OrganisationKind.NetworkCoordinator.Code())
            throw new RuleViolationException("api_key.network_admin_outside_coordinator", "The network_admin role belongs only to a network_coordinator organisation.");
        if (roles.Contains(Role.NetworkAdmin) && roles.Count > 1)
            throw new RuleViolationException("api_key.network_admin_exclusive", "A network_admin key holds no other role, so that it can never read personal data.");
        if (roles.Contains(Role.Auditor) && roles.Count > 1)
            throw new RuleViolationException("api_key.auditor_exclusive", "An auditor key holds no other role, so that it can never read identities.");
        if (byNetworkAdmin && roles.Contains(Role.OrgAdmin) && await HasHadOrgAdminAsync(command.OrganisationId, ct))
            throw new RuleViolationException("api_key.org_admin_exists",
                "The organisation has had an org_admin key already: further keys are granted by the organisation's own admins.");

        var key = ApiKeySecrets.NewKey();
        var id = Guid.CreateVersion7();
        var now = clock.Now();
        var roleCodes = roles.Select(r => r.Code()).ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO api_keys (id, organisation_id, name, roles, key_hash, prefix, created_at, created_by, expires_at)
            VALUES (@Id, @OrganisationId, @Name, @Roles, @Hash, @Prefix, @Now, @CreatedBy, @ExpiresAt)
            """, new { Id = id, command.OrganisationId, command.Name, Roles = string.Join(',', roleCodes), Hash = ApiKeySecrets.Hash(key),
                Prefix = ApiKeySecrets.DisplayPrefix(key), Now = now, CreatedBy = principal.Id, command.ExpiresAt }, session.Transaction, cancellationToken: ct));
        audit.Record(new AuditEntry(AuditStreams.Organisation(command.OrganisationId), "api_key.created",
            new Dictionary<string, object?> { ["apiKeyId"] = id, ["roles"] = roleCodes, ["expiresAt"] = command.ExpiresAt }));
        return new CreatedApiKeyView(id, command.OrganisationId, command.Name!, roleCodes, ApiKeySecrets.DisplayPrefix(key), now, command.ExpiresAt, key);
    }

    /// <summary>
    /// Whether the organisation has ever had an org_admin key. The organisation's row is locked first (an UPDATE that
    /// changes nothing, the portable row lock), so two network-admin requests at once cannot both find none.
    /// </summary>
    private async Task<bool> HasHadOrgAdminAsync(Guid organisationId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE organisations SET version = version WHERE id = @Id",
            new { Id = organisationId }, session.Transaction, cancellationToken: ct));
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM api_keys WHERE organisation_id = @Id AND roles LIKE @Role",
            new { Id = organisationId, Role = "%" + Role.OrgAdmin.Code() + "%" }, session.Transaction, cancellationToken: ct)) > 0;
    }
}
