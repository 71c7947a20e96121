using System.Security.Cryptography;
using Dapper;
using FluentValidation;
using FluentValidation.Results;
using Mediator;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Users;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Sessions;

/// <summary>
/// A person sets their password with the activation secret their admin gave them (once, until it expires) and, where a
/// second factor is due, receives the TOTP secret to enrol in an authenticator app.
/// </summary>
[AllowedRoles(Role.Anonymous)]
public sealed record ActivateCommand(string? Username, string? ActivationSecret, string? Password) : ICommand<ActivationView>;

public sealed class ActivateValidator : AbstractValidator<ActivateCommand>
{
    public ActivateValidator()
    {
        RuleFor(c => c.Username).NotEmpty().MaximumLength(100);
        RuleFor(c => c.ActivationSecret).NotEmpty().MaximumLength(200);
        RuleFor(c => c.Password).NotEmpty().MaximumLength(PasswordPolicy.MaxLength * 4);
    }
}

public sealed class ActivateHandler(IDbSession session, IAuditLog audit, CurrentPrincipal current, Clock clock, UserStore users,
    IPersonalDataProtector protector, IOptions<UserSecurityOptions> options) : ICommandHandler<ActivateCommand, ActivationView>
{
    private static readonly UnauthorizedException Refused = new("invalid_activation",
        "The username or the activation secret is wrong, or the secret has expired or been used; ask your organisation's admin for a new one.");

    public async ValueTask<ActivationView> Handle(ActivateCommand command, CancellationToken ct)
    {
        var user = await users.FindByUsernameAsync(command.Username!, ct);
        var now = clock.Now();
        if (user is null || user.ActivationHash is null || user.ActivationExpiresAt <= now || !user.Active
            || !CryptographicOperations.FixedTimeEquals(user.ActivationHash, UserSecrets.Hash(command.ActivationSecret!)))
            throw Refused;
        if (PasswordPolicy.Refusal(command.Password, user.Username) is { } refusal)
            throw new ValidationException([new ValidationFailure("password", refusal)]);

        byte[]? secret = null, sealedSecret = null, wrapped = null;
        string? masterKeyId = null;
        if (UserStore.SecondFactorDue(user))
        {
            secret = Totp.NewSecret();
            var dataKey = protector.NewDataKey();
            sealedSecret = protector.Seal(dataKey.Key, Base32.Encode(secret), TotpContext(user.Id));
            (wrapped, masterKeyId) = (dataKey.Wrapped, dataKey.MasterKeyId);
        }
        var connection = await session.ConnectionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE users SET password_hash = @PasswordHash, activation_hash = NULL, activation_expires_at = NULL, totp_sealed = @Sealed,
                             totp_wrapped_key = @Wrapped, totp_master_key_id = @MasterKeyId, totp_last_step = NULL, failed_sign_ins = 0, locked_until = NULL,
                             version = version + 1
            WHERE id = @Id AND version = @Version
            """, new { user.Id, user.Version, PasswordHash = PasswordHashing.Hash(command.Password!, options.Value.PasswordIterations),
                Sealed = sealedSecret, Wrapped = wrapped, MasterKeyId = masterKeyId }, session.Transaction, cancellationToken: ct));
        if (updated == 0) throw Refused;
        current.Principal = SignInHandler.PrincipalOf(user, null);
        audit.Record(new AuditEntry(AuditStreams.User(user.Id), "user.activated",
            new Dictionary<string, object?> { ["userId"] = user.Id, ["secondFactor"] = secret is not null }));
        if (secret is null) return new ActivationView(null, null, null);
        var uri = Totp.Uri("ReferralNetwork", user.Username, secret);
        return new ActivationView(Base32.Encode(secret), uri, QrCodeSvg(uri));
    }

    /// <summary>The otpauth URI as an SVG QR code, drawn here (QRCoder): the secret goes to no external service.</summary>
    public static string QrCodeSvg(string text)
    {
        using var generator = new QRCoder.QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCoder.QRCodeGenerator.ECCLevel.M);
        return new QRCoder.SvgQRCode(data).GetGraphic(new System.Drawing.Size(256, 256), "#000000", "#ffffff", drawQuietZones: true);
    }

    /// <summary>Bound into the sealed TOTP secret, so a sealed value copied to another user's row does not open.</summary>
    public static string TotpContext(Guid userId) => $"user:{userId}:totp";
}
