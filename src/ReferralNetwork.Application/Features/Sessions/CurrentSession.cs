using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Users;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Sessions;

/// <summary>Who am I, and until when: the session of the cookie (a request with an API key has none: 404).</summary>
[AllowedRoles(Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.Auditor)]
public sealed record GetSessionQuery : IQuery<SessionView>;

public sealed class GetSessionHandler(IDbSession session, ICurrentPrincipal current, UserStore users) : IQueryHandler<GetSessionQuery, SessionView>
{
    public async ValueTask<SessionView> Handle(GetSessionQuery query, CancellationToken ct)
    {
        var principal = current.Principal!;
        if (principal.SessionIdHash is not { } hash || principal.UserId is not { } userId) throw new NotFoundException("A session (this request has no session cookie)");
        var connection = await session.ConnectionAsync(ct);
        var expiry = await connection.QuerySingleOrDefaultAsync<(DateTimeOffset Idle, DateTimeOffset Absolute)>(new CommandDefinition(
            "SELECT idle_expires_at, absolute_expires_at FROM user_sessions WHERE id_hash = @Hash AND revoked_at IS NULL", new { Hash = hash }, cancellationToken: ct));
        var user = await users.FindAsync(principal.OrganisationId, userId, ct);
        if (user is null || expiry == default) throw new NotFoundException("The session");
        return new SessionView(UserSecrets.CsrfToken(hash), SessionUserView.From(user), expiry.Idle < expiry.Absolute ? expiry.Idle : expiry.Absolute, expiry.Absolute);
    }
}

/// <summary>Signs out: the session of the cookie ends now, on every device that holds it.</summary>
[AllowedRoles(Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.Auditor)]
public sealed record SignOutCommand : ICommand<RevokedSessionsView>;

public sealed class SignOutHandler(IDbSession session, IAuditLog audit, ICurrentPrincipal current, Clock clock) : ICommandHandler<SignOutCommand, RevokedSessionsView>
{
    public async ValueTask<RevokedSessionsView> Handle(SignOutCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        if (principal.SessionIdHash is not { } hash || principal.UserId is not { } userId) throw new NotFoundException("A session (this request has no session cookie)");
        var connection = await session.ConnectionAsync(ct);
        var revoked = await connection.ExecuteAsync(new CommandDefinition("UPDATE user_sessions SET revoked_at = @Now WHERE id_hash = @Hash AND revoked_at IS NULL",
            new { Hash = hash, Now = clock.Now() }, session.Transaction, cancellationToken: ct));
        audit.Record(new AuditEntry(AuditStreams.User(userId), "user.signed_out", new Dictionary<string, object?> { ["userId"] = userId }));
        return new RevokedSessionsView(userId, revoked);
    }
}
