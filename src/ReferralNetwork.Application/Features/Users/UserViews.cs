namespace ReferralNetwork.Application.Features.Users;

/// <summary>A named person of an organisation, as its admins see it (never a secret or a hash).</summary>
public sealed record UserView(Guid Id, Guid OrganisationId, string Username, string DisplayName, string? Email, IReadOnlyList<string> Roles,
    bool Active, bool Activated, bool SecondFactor, DateTimeOffset CreatedAt, DateTimeOffset? LockedUntil);

/// <summary>A new user, or one reset: the activation secret is in this answer only (only its hash is stored).</summary>
public sealed record CreatedUserView(Guid Id, Guid OrganisationId, string Username, string DisplayName, string? Email, IReadOnlyList<string> Roles,
    bool Active, bool Activated, bool SecondFactor, DateTimeOffset CreatedAt, string ActivationSecret, DateTimeOffset ActivationExpiresAt)
{
    public static CreatedUserView From(UserView user, string secret, DateTimeOffset expiresAt) =>
        new(user.Id, user.OrganisationId, user.Username, user.DisplayName, user.Email, user.Roles, user.Active, user.Activated, user.SecondFactor,
            user.CreatedAt, secret, expiresAt);
}

/// <summary>Sessions ended by sign-out-everywhere, deactivation or reset.</summary>
public sealed record RevokedSessionsView(Guid UserId, int Revoked);
