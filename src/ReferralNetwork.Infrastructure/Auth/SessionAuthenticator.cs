using Dapper;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Users;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Auth;

/// <summary>
/// Finds the principal of a session cookie in one statement (session, user, organisation and roles joined): the session
/// must be unrevoked and unexpired, the user and the organisation active. Nothing is cached, so sign-out, revocation and
/// deactivation hold from the next request on. The idle expiry moves on with use, written at most once a minute so that
/// a busy session costs one statement per request.
/// </summary>
public sealed class SessionAuthenticator(IDbSession session, Clock clock, IOptions<UserSecurityOptions> options, ConnectionFactory factory)
{
    public static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    private sealed record SessionRow
    {
        public Guid UserId { get; init; }
        public Guid OrganisationId { get; init; }
        public string DisplayName { get; init; } = "";
        public string Role { get; init; } = "";
        public DateTimeOffset LastSeenAt { get; init; }
        public DateTimeOffset IdleExpiresAt { get; init; }
        public DateTimeOffset AbsoluteExpiresAt { get; init; }
        public bool UserActive { get; init; }
        public bool OrganisationActive { get; init; }
    }

    /// <summary>The principal, or null when the session is unknown, ended or expired, or its user or organisation deactivated.</summary>
    public async Task<Principal?> AuthenticateAsync(string sessionId, CancellationToken ct)
    {
        if (sessionId.Length is < 20 or > 100) return null;
        var hash = UserSecrets.Hash(sessionId);
        var connection = await session.ConnectionAsync(ct);
        var rows = (await connection.QueryAsync<SessionRow>(new CommandDefinition("""
            SELECT u.id AS UserId, u.organisation_id AS OrganisationId, u.display_name AS DisplayName, r.role, s.last_seen_at AS LastSeenAt,
                   s.idle_expires_at AS IdleExpiresAt, s.absolute_expires_at AS AbsoluteExpiresAt, u.active AS UserActive, o.active AS OrganisationActive
            FROM user_sessions s JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.organisation_id JOIN user_roles r ON r.user_id = u.id
            WHERE s.id_hash = @Hash AND s.revoked_at IS NULL
            """, new { Hash = hash }, cancellationToken: ct))).ToList();
        var now = clock.Now();
        if (rows.Count == 0 || rows[0] is not { UserActive: true, OrganisationActive: true } row || now >= row.IdleExpiresAt || now >= row.AbsoluteExpiresAt)
            return null;
        if (now - row.LastSeenAt >= TouchInterval)
            // An autocommit write: on SQLite it takes the writer's turn rather than meet an open batch's write lock.
            await using (var slot = await factory.SoloWriteAsync(ct))
                await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE user_sessions SET last_seen_at = @Now, idle_expires_at = @Idle WHERE id_hash = @Hash",
                new { Hash = hash, Now = now, Idle = now.AddMinutes(options.Value.SessionIdleMinutes) }, cancellationToken: ct));
        return new Principal(row.UserId, row.OrganisationId, rows.Select(r => Wire.Parse<Role>(r.Role)).ToHashSet(), row.DisplayName, row.UserId, hash);
    }
}
