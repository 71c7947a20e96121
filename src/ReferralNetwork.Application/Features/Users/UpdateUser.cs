using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Users;

/// <summary>Changes a person's name, roles or whether they may sign in; deactivating ends their sessions at once.</summary>
[AllowedRoles(Role.OrgAdmin)]
public sealed record UpdateUserCommand(Guid OrganisationId, Guid UserId, string? DisplayName, IReadOnlyList<string>? Roles, bool? Active) : ICommand<UserView>;

public sealed class UpdateUserValidator : AbstractValidator<UpdateUserCommand>
{
    public UpdateUserValidator()
    {
        RuleFor(c => c.DisplayName).NotEmpty().IsText(200).When(c => c.DisplayName is not null);
        RuleFor(c => c.Roles).AreUserRoles();
        RuleFor(c => c).Must(c => c.DisplayName is not null || c.Roles is not null || c.Active is not null)
            .WithName("body").WithMessage("Name at least one of displayName, roles, active.");
    }
}

public sealed class UpdateUserHandler(IDbSession session, IAuditLog audit, ICurrentPrincipal current, Clock clock, UserStore users)
    : ICommandHandler<UpdateUserCommand, UserView>
{
    public async ValueTask<UserView> Handle(UpdateUserCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        if (principal.OrganisationId != command.OrganisationId) throw new NotFoundException("The user");
        var user = await users.FindAsync(command.OrganisationId, command.UserId, ct) ?? throw new NotFoundException("The user");
        if (command.UserId == principal.UserId && (command.Active == false || command.Roles is { } r && !r.Contains(Role.OrgAdmin.Code())))
            throw new RuleViolationException("user.self_lockout", "An admin cannot deactivate themself or take away their own org_admin role.");
        var connection = await session.ConnectionAsync(ct);
        var now = clock.Now();
        var data = new Dictionary<string, object?> { ["userId"] = user.Id };
        if (command.Roles is not null)
        {
            var kind = await connection.QuerySingleAsync<string>(new CommandDefinition("SELECT kind FROM organisations WHERE id = @Id",
                new { Id = command.OrganisationId }, session.Transaction, cancellationToken: ct));
            var roles = command.Roles.Select(Wire.Parse<Role>).Distinct().Order().ToList();
            UserRules.Check(roles, kind);
            await users.ReplaceRolesAsync(user.Id, roles, ct);
            data["roles"] = roles.Select(x => x.Code()).ToList();
        }
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE users SET display_name = @DisplayName, active = @Active, version = version + 1 WHERE id = @Id AND version = @Version
            """, new { user.Id, DisplayName = command.DisplayName?.Trim() ?? user.DisplayName, Active = command.Active ?? user.Active, user.Version },
            session.Transaction, cancellationToken: ct));
        if (updated == 0) throw new PreconditionFailedException("The user was changed at the same time; read it again.");
        if (command.Active is { } active && active != user.Active)
        {
            data["active"] = active;
            if (!active) data["sessionsRevoked"] = await users.RevokeSessionsAsync(user.Id, now, ct);
        }
        if (command.DisplayName is not null) data["displayNameChanged"] = true;
        audit.Record(new AuditEntry(AuditStreams.Organisation(command.OrganisationId), "user.updated", data));
        return (await users.FindAsync(command.OrganisationId, user.Id, ct))!.ToView();
    }
}
