using Dapper;
using FluentValidation;
using Mediator;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Users;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Sessions;

/// <summary>
/// Username, password and — where due — a TOTP code; a session on success. Every failure counts, and
/// <see cref="UserSecurityOptions.LockoutThreshold"/> failures in a row lock the account for a while; failures, lock-outs
/// and sign-ins are audited in the user's stream. A failure is an answer, not an exception, so that its count and audit
/// event are committed.
/// </summary>
[AllowedRoles(Role.Anonymous)]
public sealed record SignInCommand(string? Username, string? Password, string? Totp) : ICommand<SignInOutcome>;

public sealed class SignInValidator : AbstractValidator<SignInCommand>
{
    public SignInValidator()
    {
        RuleFor(c => c.Username).NotEmpty().MaximumLength(100);
        RuleFor(c => c.Password).NotEmpty().MaximumLength(PasswordPolicy.MaxLength * 4);
        RuleFor(c => c.Totp).MaximumLength(10);
    }
}

public sealed class SignInHandler(IDbSession session, IAuditLog audit, CurrentPrincipal current, Clock clock, UserStore users,
    IPersonalDataProtector protector, IOptions<UserSecurityOptions> options) : ICommandHandler<SignInCommand, SignInOutcome>
{
    private const string Invalid = "The username, password or code is wrong.";
    private static string? _decoy;

    public async ValueTask<SignInOutcome> Handle(SignInCommand command, CancellationToken ct)
    {
        var settings = options.Value;
        var now = clock.Now();
        var user = await users.FindByUsernameAsync(command.Username!, ct);
        if (user is null || user.PasswordHash is null || !user.Active)
        {
            // As long as a wrong password: the answer does not tell whether the username exists.
            PasswordHashing.Verify(command.Password!, _decoy ??= PasswordHashing.Decoy(settings.PasswordIterations), out _);
            return SignInOutcome.Refused("invalid_credentials", Invalid);
        }
        // The attempt is recorded under no one's name: the organisation of the account, role anonymous.
        current.Principal = new Principal(Guid.Empty, user.OrganisationId, new HashSet<Role> { Role.Anonymous }, "anonymous");
        if (user.LockedUntil is { } lockedUntil && lockedUntil > now)
        {
            audit.Record(new AuditEntry(AuditStreams.User(user.Id), "user.sign_in_refused",
                new Dictionary<string, object?> { ["userId"] = user.Id, ["reason"] = "locked_out", ["lockedUntil"] = lockedUntil }));
            return SignInOutcome.Refused("locked_out", "Too many failed sign-ins: the account is locked for a while.", lockedUntil);
        }

        if (!PasswordHashing.Verify(command.Password!, user.PasswordHash, out var iterations))
            return await FailAsync(user, "password", now, ct);
        long? step = null;
        if (UserStore.SecondFactorDue(user))
        {
            if (user.TotpSealed is null)
                return SignInOutcome.Refused("second_factor_not_enrolled",
                    "Your role needs a second factor that is not set up yet: ask your organisation's admin to reset your account, then activate it again.");
            if (string.IsNullOrEmpty(command.Totp)) return await FailAsync(user, "totp_missing", now, ct, "totp_required",
                "Enter the 6-digit code from your authenticator app.");
            var secret = Base32.Decode(protector.Open(protector.Unwrap(user.TotpWrappedKey!, user.TotpMasterKeyId!), user.TotpSealed, ActivateHandler.TotpContext(user.Id)));
            step = Totp.Match(secret, command.Totp, now, user.TotpLastStep);
            if (step is null) return await FailAsync(user, "totp", now, ct);
        }

        var connection = await session.ConnectionAsync(ct);
        var rehash = iterations < settings.PasswordIterations ? PasswordHashing.Hash(command.Password!, settings.PasswordIterations) : user.PasswordHash;
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE users SET failed_sign_ins = 0, locked_until = NULL, totp_last_step = @Step, password_hash = @PasswordHash WHERE id = @Id
            """, new { user.Id, Step = step ?? user.TotpLastStep, PasswordHash = rehash }, session.Transaction, cancellationToken: ct));
        var (sessionId, hash, idle, absolute) = await StartSessionAsync(session, user.Id, now, settings, ct);
        current.Principal = PrincipalOf(user, hash);
        audit.Record(new AuditEntry(AuditStreams.User(user.Id), "user.signed_in",
            new Dictionary<string, object?> { ["userId"] = user.Id, ["secondFactor"] = step is not null, ["absoluteExpiresAt"] = absolute }));
        return new SignInOutcome(new SessionView(UserSecrets.CsrfToken(hash), SessionUserView.From(user), Min(idle, absolute), absolute), sessionId, null, null);
    }

    /// <summary>A new session row (its id's hash only) with its idle and absolute expiry; the id goes to the cookie and nowhere else.</summary>
    internal static async Task<(string Id, byte[] Hash, DateTimeOffset Idle, DateTimeOffset Absolute)> StartSessionAsync(IDbSession session, Guid userId,
        DateTimeOffset now, UserSecurityOptions settings, CancellationToken ct)
    {
        var sessionId = UserSecrets.NewSessionId();
        var hash = UserSecrets.Hash(sessionId);
        var idle = now.AddMinutes(settings.SessionIdleMinutes);
        var absolute = now.AddHours(settings.SessionAbsoluteHours);
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO user_sessions (id_hash, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at)
            VALUES (@Hash, @UserId, @Now, @Now, @Idle, @Absolute)
            """, new { Hash = hash, UserId = userId, Now = now, Idle = idle, Absolute = absolute }, session.Transaction, cancellationToken: ct));
        return (sessionId, hash, idle, absolute);
    }

    internal static DateTimeOffset Earlier(DateTimeOffset a, DateTimeOffset b) => Min(a, b);

    private async Task<SignInOutcome> FailAsync(UserRow user, string what, DateTimeOffset now, CancellationToken ct,
        string reason = "invalid_credentials", string message = Invalid)
    {
        var settings = options.Value;
        var failed = user.FailedSignIns + 1;
        DateTimeOffset? lockedUntil = failed >= settings.LockoutThreshold ? now.AddMinutes(settings.LockoutMinutes) : null;
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE users SET failed_sign_ins = @Failed, locked_until = @LockedUntil WHERE id = @Id",
            new { user.Id, Failed = lockedUntil is null ? failed : 0, LockedUntil = lockedUntil }, session.Transaction, cancellationToken: ct));
        audit.Record(new AuditEntry(AuditStreams.User(user.Id), "user.sign_in_failed",
            new Dictionary<string, object?> { ["userId"] = user.Id, ["reason"] = what, ["failedSignIns"] = failed }));
        if (lockedUntil is null) return SignInOutcome.Refused(reason, message);
        audit.Record(new AuditEntry(AuditStreams.User(user.Id), "user.locked_out",
            new Dictionary<string, object?> { ["userId"] = user.Id, ["lockedUntil"] = lockedUntil }));
        return SignInOutcome.Refused("locked_out", "Too many failed sign-ins: the account is locked for a while.", lockedUntil);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>The principal of a signed-in person: the user's id stands for them in every audit event and timeline entry.</summary>
    public static Principal PrincipalOf(UserRow user, byte[]? sessionIdHash) =>
        new(user.Id, user.OrganisationId, user.Roles.ToHashSet(), user.DisplayName, user.Id, sessionIdHash);
}
