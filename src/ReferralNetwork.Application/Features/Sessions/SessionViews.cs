using System.Text.Json.Serialization;
using ReferralNetwork.Application.Features.Users;
using ReferralNetwork.Domain;

namespace ReferralNetwork.Application.Features.Sessions;

/// <summary>Who is signed in.</summary>
public sealed record SessionUserView(Guid Id, Guid OrganisationId, string Username, string DisplayName, IReadOnlyList<string> Roles, bool SecondFactor)
{
    public static SessionUserView From(UserRow user) =>
        new(user.Id, user.OrganisationId, user.Username, user.DisplayName, user.Roles.Order().Select(r => r.Code()).ToList(), user.TotpSealed is not null);
}

/// <summary>
/// A cookie session: send <see cref="CsrfToken"/> as <c>X-CSRF-Token</c> with every state-changing request made with the
/// cookie. The session ends at <see cref="IdleExpiresAt"/> (moved on by each request) or <see cref="AbsoluteExpiresAt"/>.
/// </summary>
public sealed record SessionView(string CsrfToken, SessionUserView User, DateTimeOffset IdleExpiresAt, DateTimeOffset AbsoluteExpiresAt);

/// <summary>
/// The answer to an activation: the TOTP secret to enrol (base32, SHA-1, 6 digits, 30 s), the otpauth URI, and the URI as an
/// SVG QR code rendered here — or nothing where no second factor is due.
/// </summary>
public sealed record ActivationView(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TotpSecret,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? OtpauthUri,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), System.ComponentModel.DataAnnotations.MaxLength(ActivationView.QrCodeLimit)] string? QrCodeSvg)
{
    /// <summary>An SVG of the otpauth URI's QR code is some tens of kilobytes; the contract bounds it here.</summary>
    public const int QrCodeLimit = 200_000;
}

/// <summary>What sign-in came to: a session (its id for the cookie, never stored), or why not (a 401 problem).</summary>
public sealed record SignInOutcome(SessionView? Session, string? SessionId, string? Reason, string? Message, DateTimeOffset? RetryAfter = null)
{
    public static SignInOutcome Refused(string reason, string message, DateTimeOffset? retryAfter = null) => new(null, null, reason, message, retryAfter);
}
