using Mediator;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Users;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Sessions;

/// <summary>
/// The thin client's sign-in through the organisation's own OpenID Connect provider (issue 16 item 3): the request
/// carries the provider's access token as its bearer credential — already checked and mapped to an active user of the
/// issuer's organisation — and gets a cookie session like a password sign-in. The provider stands for the password and
/// second factor (its own policy applies there), and the audit event names it. Only such a token is exchanged: an API key
/// names no person, and a cookie session needs no second one.
/// </summary>
[AllowedRoles(Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.Auditor)]
public sealed record StartProviderSessionCommand : ICommand<SignInOutcome>;

public sealed class StartProviderSessionHandler(IDbSession session, IAuditLog audit, CurrentPrincipal current, Clock clock, UserStore users,
    IOptions<UserSecurityOptions> options) : ICommandHandler<StartProviderSessionCommand, SignInOutcome>
{
    public async ValueTask<SignInOutcome> Handle(StartProviderSessionCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        if (principal is not { IdentityProvider: { } issuer, UserId: { } userId, SessionIdHash: null })
            throw new ForbiddenException("Only an access token of your organisation's identity provider is exchanged for a session.");
        var user = await users.FindAsync(principal.OrganisationId, userId, ct) ?? throw new NotFoundException("The user");
        var now = clock.Now();
        var (sessionId, hash, idle, absolute) = await SignInHandler.StartSessionAsync(session, user.Id, now, options.Value, ct);
        current.Principal = SignInHandler.PrincipalOf(user, hash) with { IdentityProvider = issuer };
        audit.Record(new AuditEntry(AuditStreams.User(user.Id), "user.signed_in", new Dictionary<string, object?>
        {
            ["userId"] = user.Id, ["identityProvider"] = issuer, ["absoluteExpiresAt"] = absolute,
        }));
        return new SignInOutcome(new SessionView(UserSecrets.CsrfToken(hash), SessionUserView.From(user), SignInHandler.Earlier(idle, absolute), absolute), sessionId, null, null);
    }
}
