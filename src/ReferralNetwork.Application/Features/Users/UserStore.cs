using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Users;

/// <summary>A user's row with its roles, as the handlers of this folder read it.</summary>
public sealed record UserRow
{
    public Guid Id { get; init; }
    public Guid OrganisationId { get; init; }
    public string Username { get; init; } = "";
    public string DisplayName { get; init; } = "";
    public string? Email { get; init; }
    public bool Active { get; init; }
    public string? PasswordHash { get; init; }
    public byte[]? ActivationHash { get; init; }
    public DateTimeOffset? ActivationExpiresAt { get; init; }
    public byte[]? TotpSealed { get; init; }
    public byte[]? TotpWrappedKey { get; init; }
    public string? TotpMasterKeyId { get; init; }
    public long? TotpLastStep { get; init; }
    public int FailedSignIns { get; init; }
    public DateTimeOffset? LockedUntil { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public int Version { get; init; }
    public bool RequireSecondFactor { get; init; }
    public IReadOnlyList<Role> Roles { get; set; } = [];

    public UserView ToView() => new(Id, OrganisationId, Username, DisplayName, Email, Roles.Order().Select(r => r.Code()).ToList(), Active,
        PasswordHash is not null, TotpSealed is not null, CreatedAt, LockedUntil);
}

/// <summary>Reads and writes users and their roles; shared by the user and session use cases.</summary>
public sealed class UserStore(IDbSession session)
{
    private const string Select = """
        SELECT u.id, u.organisation_id AS OrganisationId, u.username, u.display_name AS DisplayName, u.email, u.active, u.password_hash AS PasswordHash,
               u.activation_hash AS ActivationHash, u.activation_expires_at AS ActivationExpiresAt, u.totp_sealed AS TotpSealed,
               u.totp_wrapped_key AS TotpWrappedKey, u.totp_master_key_id AS TotpMasterKeyId, u.totp_last_step AS TotpLastStep,
               u.failed_sign_ins AS FailedSignIns, u.locked_until AS LockedUntil, u.created_at AS CreatedAt, u.version,
               o.require_second_factor AS RequireSecondFactor
        FROM users u JOIN organisations o ON o.id = u.organisation_id
        """;

    /// <summary>Roles that read identities (DESIGN §1): a person holding one always signs in with a second factor.</summary>
    public static readonly Role[] ReadIdentities = [Role.Caseworker, Role.Supervisor];

    public static bool SecondFactorDue(UserRow user) => user.RequireSecondFactor || user.Roles.Any(ReadIdentities.Contains);

    public Task<UserRow?> FindAsync(Guid organisationId, Guid userId, CancellationToken ct) =>
        OneAsync(Select + " WHERE u.id = @UserId AND u.organisation_id = @OrganisationId", new { UserId = userId, OrganisationId = organisationId }, ct);

    public Task<UserRow?> FindByUsernameAsync(string username, CancellationToken ct) =>
        OneAsync(Select + " WHERE u.username = @Username", new { Username = NormaliseUsername(username) }, ct);

    private async Task<UserRow?> OneAsync(string sql, object args, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var user = await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(sql, args, session.Transaction, cancellationToken: ct));
        if (user is null) return null;
        user.Roles = (await connection.QueryAsync<string>(new CommandDefinition("SELECT role FROM user_roles WHERE user_id = @Id", new { user.Id },
            session.Transaction, cancellationToken: ct))).Select(Wire.Parse<Role>).ToList();
        return user;
    }

    public async Task<IReadOnlyList<UserRow>> ListAsync(Guid organisationId, (DateTimeOffset At, Guid Id)? after, int limit, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var users = (await connection.QueryAsync<UserRow>(new CommandDefinition(
            Select + " WHERE u.organisation_id = @OrganisationId" + (after is null ? "" : " AND (u.created_at > @After OR (u.created_at = @After AND u.id > @AfterId))") +
            " ORDER BY u.created_at, u.id " + session.Dialect.Limit("@Limit"),
            new { OrganisationId = organisationId, After = after?.At, AfterId = after?.Id ?? Guid.Empty, Limit = limit }, session.Transaction, cancellationToken: ct))).ToList();
        if (users.Count == 0) return users;
        var roles = (await connection.QueryAsync<(Guid UserId, string Role)>(new CommandDefinition(
            "SELECT r.user_id, r.role FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.organisation_id = @OrganisationId",
            new { OrganisationId = organisationId }, session.Transaction, cancellationToken: ct))).ToLookup(r => r.UserId, r => Wire.Parse<Role>(r.Role));
        foreach (var user in users) user.Roles = roles[user.Id].ToList();
        return users;
    }

    public async Task ReplaceRolesAsync(Guid userId, IReadOnlyList<Role> roles, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM user_roles WHERE user_id = @UserId", new { UserId = userId }, session.Transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("INSERT INTO user_roles (user_id, role) VALUES (@UserId, @Role)",
            roles.Select(r => new { UserId = userId, Role = r.Code() }).ToList(), session.Transaction, cancellationToken: ct));
    }

    /// <summary>Ends every open session of the user at once (sign-out everywhere, deactivation, reset).</summary>
    public async Task<int> RevokeSessionsAsync(Guid userId, DateTimeOffset now, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("UPDATE user_sessions SET revoked_at = @Now WHERE user_id = @UserId AND revoked_at IS NULL",
            new { UserId = userId, Now = now }, session.Transaction, cancellationToken: ct));
    }

    /// <summary>Usernames compare case-insensitively: stored trimmed and in lower case.</summary>
    public static string NormaliseUsername(string username) => username.Trim().ToLowerInvariant();
}

/// <summary>
/// Activation secrets and session ids: 32 random bytes, url-safe; only their SHA-256 is stored (256 bits of entropy, so a
/// fast hash suffices). The CSRF token is derived from the session's hash, so it needs no storage and is the same for
/// every request of the session.
/// </summary>
public static class UserSecrets
{
    public const string ActivationPrefix = "rna_";

    public static string NewActivationSecret() => ActivationPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string NewSessionId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static string CsrfToken(byte[] sessionIdHash) =>
        Base64Url.EncodeToString(SHA256.HashData([.. Encoding.ASCII.GetBytes("rn-csrf:"), .. sessionIdHash]));
}
