namespace ReferralNetwork.Application.Features.Users;

/// <summary>Settings of the <c>Authentication</c> section for named users (README, configuration table).</summary>
public sealed class UserSecurityOptions
{
    /// <summary>PBKDF2-HMAC-SHA256 iterations for new password hashes (OWASP 2023: 600,000). Stored with each hash, so
    /// raising it never locks anyone out; a hash made with fewer is re-made at the next sign-in.</summary>
    public int PasswordIterations { get; set; } = 600_000;

    /// <summary>Consecutive failed sign-ins after which the account is locked for <see cref="LockoutMinutes"/>.</summary>
    public int LockoutThreshold { get; set; } = 5;

    public int LockoutMinutes { get; set; } = 15;

    /// <summary>A session ends after this long without a request…</summary>
    public int SessionIdleMinutes { get; set; } = 30;

    /// <summary>…and at the latest this long after sign-in.</summary>
    public int SessionAbsoluteHours { get; set; } = 12;

    /// <summary>An activation secret (new user, or reset) works for this many days.</summary>
    public int ActivationDays { get; set; } = 7;
}
