using System.Text.RegularExpressions;
using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Organisations;

namespace ReferralNetwork.Application.Features.Users;

/// <summary>A named person of the organisation; they set their own password (and second factor) with the activation secret.</summary>
[AllowedRoles(Role.OrgAdmin)]
public sealed record CreateUserCommand(Guid OrganisationId, string? Username, string? DisplayName, string? Email, IReadOnlyList<string>? Roles)
    : ICommand<CreatedUserView>;

public static partial class UserRules
{
    /// <summary>What an organisation admin may give a person: never network-wide powers, never a machine's role.</summary>
    public static readonly Role[] Grantable = [Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.Auditor];

    [GeneratedRegex("^[a-z0-9][a-z0-9._@-]{2,99}$")]
    public static partial Regex Username();

    public static IRuleBuilderOptions<T, IReadOnlyList<string>?> AreUserRoles<T>(this IRuleBuilder<T, IReadOnlyList<string>?> rule) =>
        rule.Must(r => r is null || (r.Count is > 0 and <= 4 && r.All(code => Wire.TryParse<Role>(code, out var role) && Grantable.Contains(role))))
            .WithMessage("roles: one to four of caseworker, supervisor, org_admin, auditor.");

    /// <summary>The rules that need the organisation: auditors only in the network coordinator, and alone.</summary>
    public static void Check(IReadOnlyList<Role> roles, string organisationKind)
    {
        if (roles.Contains(Role.Auditor) && organisationKind != OrganisationKind.NetworkCoordinator.Code())
            throw new RuleViolationException("user.auditor_outside_coordinator", "The auditor role belongs only to people of the network coordinator.");
        if (roles.Contains(Role.Auditor) && roles.Count > 1)
            throw new RuleViolationException("user.auditor_exclusive", "An auditor holds no other role, so that they can never read identities.");
    }
}

public sealed class CreateUserValidator : AbstractValidator<CreateUserCommand>
{
    public CreateUserValidator()
    {
        RuleFor(c => c.Username).NotEmpty().Must(u => u is null || UserRules.Username().IsMatch(UserStore.NormaliseUsername(u)))
            .WithMessage("username: 3 to 100 of a-z, 0-9, '.', '_', '-', '@', starting with a letter or digit.");
        RuleFor(c => c.DisplayName).NotEmpty().IsText(200);
        RuleFor(c => c.Email).EmailAddress().MaximumLength(200).When(c => c.Email is not null);
        RuleFor(c => c.Roles).NotEmpty().AreUserRoles();
    }
}

public sealed class CreateUserHandler(IDbSession session, IAuditLog audit, ICurrentPrincipal current, Clock clock, UserStore users,
    Microsoft.Extensions.Options.IOptions<UserSecurityOptions> options) : ICommandHandler<CreateUserCommand, CreatedUserView>
{
    public async ValueTask<CreatedUserView> Handle(CreateUserCommand command, CancellationToken ct)
    {
        if (current.Principal!.OrganisationId != command.OrganisationId) throw new NotFoundException("The organisation");
        var connection = await session.ConnectionAsync(ct);
        var kind = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition("SELECT kind FROM organisations WHERE id = @Id",
            new { Id = command.OrganisationId }, session.Transaction, cancellationToken: ct)) ?? throw new NotFoundException("The organisation");
        var roles = command.Roles!.Select(Wire.Parse<Role>).Distinct().Order().ToList();
        UserRules.Check(roles, kind);

        var id = Guid.CreateVersion7();
        var now = clock.Now();
        var secret = UserSecrets.NewActivationSecret();
        var expiresAt = now.AddDays(options.Value.ActivationDays);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO users (id, organisation_id, username, display_name, email, active, activation_hash, activation_expires_at, failed_sign_ins,
                                   created_at, created_by, version)
                VALUES (@Id, @OrganisationId, @Username, @DisplayName, @Email, @Active, @Hash, @ExpiresAt, 0, @Now, @CreatedBy, 1)
                """, new { Id = id, command.OrganisationId, Username = UserStore.NormaliseUsername(command.Username!), DisplayName = command.DisplayName!.Trim(),
                    command.Email, Active = true, Hash = UserSecrets.Hash(secret), ExpiresAt = expiresAt, Now = now, CreatedBy = current.Principal.Id },
                session.Transaction, cancellationToken: ct));
        }
        catch (Exception e) when (session.Dialect.IsUniqueViolation(e))
        {
            throw new ConflictException("This username is taken in the network; choose another.", new Dictionary<string, object?> { ["rule"] = "user.username_taken" });
        }
        await users.ReplaceRolesAsync(id, roles, ct);
        audit.Record(new AuditEntry(AuditStreams.Organisation(command.OrganisationId), "user.created",
            new Dictionary<string, object?> { ["userId"] = id, ["roles"] = roles.Select(r => r.Code()).ToList() }));
        var user = await users.FindAsync(command.OrganisationId, id, ct) ?? throw new InvalidOperationException("The user just created is missing.");
        return CreatedUserView.From(user.ToView(), secret, expiresAt);
    }
}
