using Dapper;
using Mediator;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Users;

/// <summary>
/// A forgotten password or a lost authenticator: the password and the second factor are cleared, every session ends,
/// the lock-out is lifted, and a new activation secret (shown once) lets the person set both again.
/// </summary>
[AllowedRoles(Role.OrgAdmin)]
public sealed record ResetUserCommand(Guid OrganisationId, Guid UserId) : ICommand<CreatedUserView>;

public sealed class ResetUserHandler(IDbSession session, IAuditLog audit, ICurrentPrincipal current, Clock clock, UserStore users,
    IOptions<UserSecurityOptions> options) : ICommandHandler<ResetUserCommand, CreatedUserView>
{
    public async ValueTask<CreatedUserView> Handle(ResetUserCommand command, CancellationToken ct)
    {
        if (current.Principal!.OrganisationId != command.OrganisationId) throw new NotFoundException("The user");
        var user = await users.FindAsync(command.OrganisationId, command.UserId, ct) ?? throw new NotFoundException("The user");
        var now = clock.Now();
        var secret = UserSecrets.NewActivationSecret();
        var expiresAt = now.AddDays(options.Value.ActivationDays);
        var connection = await session.ConnectionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE users SET password_hash = NULL, totp_sealed = NULL, totp_wrapped_key = NULL, totp_master_key_id = NULL, totp_last_step = NULL,
                             activation_hash = @Hash, activation_expires_at = @ExpiresAt, failed_sign_ins = 0, locked_until = NULL, version = version + 1
            WHERE id = @Id AND version = @Version
            """, new { user.Id, user.Version, Hash = UserSecrets.Hash(secret), ExpiresAt = expiresAt }, session.Transaction, cancellationToken: ct));
        if (updated == 0) throw new PreconditionFailedException("The user was changed at the same time; try again.");
        var revoked = await users.RevokeSessionsAsync(user.Id, now, ct);
        audit.Record(new AuditEntry(AuditStreams.Organisation(command.OrganisationId), "user.reset",
            new Dictionary<string, object?> { ["userId"] = user.Id, ["sessionsRevoked"] = revoked }));
        var reset = (await users.FindAsync(command.OrganisationId, user.Id, ct))!;
        return CreatedUserView.From(reset.ToView(), secret, expiresAt);
    }
}

/// <summary>Sign-out everywhere: by the person themself, or by their organisation's admin.</summary>
[AllowedRoles(Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.Auditor)]
public sealed record RevokeUserSessionsCommand(Guid OrganisationId, Guid UserId) : ICommand<RevokedSessionsView>;

public sealed class RevokeUserSessionsHandler(IAuditLog audit, ICurrentPrincipal current, Clock clock, UserStore users)
    : ICommandHandler<RevokeUserSessionsCommand, RevokedSessionsView>
{
    public async ValueTask<RevokedSessionsView> Handle(RevokeUserSessionsCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        if (principal.OrganisationId != command.OrganisationId) throw new NotFoundException("The user");
        if (principal.UserId != command.UserId && !principal.Has(Role.OrgAdmin)) throw new NotFoundException("The user");
        var user = await users.FindAsync(command.OrganisationId, command.UserId, ct) ?? throw new NotFoundException("The user");
        var revoked = await users.RevokeSessionsAsync(user.Id, clock.Now(), ct);
        audit.Record(new AuditEntry(AuditStreams.User(user.Id), "user.signed_out_everywhere",
            new Dictionary<string, object?> { ["userId"] = user.Id, ["sessionsRevoked"] = revoked }));
        return new RevokedSessionsView(user.Id, revoked);
    }
}
