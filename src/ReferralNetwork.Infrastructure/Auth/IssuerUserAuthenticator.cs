using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Users;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Infrastructure.Auth;

/// <summary>
/// The person an organisation's identity provider vouched for (issue 16 item 3): the active user with that username in
/// that organisation, the organisation active too, in one statement. A username of another organisation, an unknown or a
/// deactivated user is no one — the provider can name only its own organisation's people, and only those its admin keeps active.
/// </summary>
public sealed class IssuerUserAuthenticator(IDbSession session)
{
    private sealed record Row
    {
        public Guid UserId { get; init; }
        public string DisplayName { get; init; } = "";
        public string Role { get; init; } = "";
    }

    public async Task<Principal?> AuthenticateAsync(Guid organisationId, string username, string issuer, CancellationToken ct)
    {
        if (username.Length is 0 or > 100) return null;
        var connection = await session.ConnectionAsync(ct);
        var rows = (await connection.QueryAsync<Row>(new CommandDefinition("""
            SELECT u.id AS UserId, u.display_name AS DisplayName, r.role
            FROM users u JOIN organisations o ON o.id = u.organisation_id JOIN user_roles r ON r.user_id = u.id
            WHERE u.username = @Username AND u.organisation_id = @OrganisationId AND u.active = @Active AND o.active = @Active
            """, new { Username = UserStore.NormaliseUsername(username), OrganisationId = organisationId, Active = true }, cancellationToken: ct))).ToList();
        if (rows.Count == 0) return null;
        return new Principal(rows[0].UserId, organisationId, rows.Select(r => Wire.Parse<Role>(r.Role)).ToHashSet(), rows[0].DisplayName, rows[0].UserId,
            IdentityProvider: issuer);
    }
}
