using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ReferralNetwork.Transparency;

namespace ReferralNetwork.Infrastructure.Audit.Log;

/// <summary>
/// The log's identity: origin and Ed25519 signing key (signed-note type 0x01, key name = origin), and the witnesses it
/// asks for cosignatures, with their keys parsed once.
/// </summary>
public sealed class LogIdentity : IDisposable
{
    private readonly Ed25519Key _key;

    public LogIdentity(TransparencyLogOptions options, string privateKeyPem)
    {
        if (!SignedNote.ValidKeyName(options.LogOrigin)) throw new InvalidOperationException("Audit:LogOrigin must be non-empty, without spaces or '+'.");
        Origin = options.LogOrigin;
        _key = Ed25519Key.FromPem(privateKeyPem);
        Signer = new NoteSigner(Origin, _key);
        PublicKey = _key.PublicKey;
        Witnesses = options.Witnesses.Select((w, i) => Witness.Of(w, i)).ToList();
        if (Witnesses.Select(w => w.Name).Distinct(StringComparer.Ordinal).Count() != Witnesses.Count)
            throw new InvalidOperationException("Audit:Witnesses names must be distinct.");
    }

    public string Origin { get; }
    public NoteSigner Signer { get; }
    public byte[] PublicKey { get; }
    public string VerifierKey => Signer.VerifierKey;
    public IReadOnlyList<Witness> Witnesses { get; }

    /// <summary>
    /// The configured key; in Development only, the generated key of the development keys folder
    /// (<see cref="Crypto.DevelopmentKeys"/>, never the data folder) with a loud warning. Outside Development a missing key
    /// is an error: <see cref="LogKeyStartupCheck"/> stops a process that would sign without one.
    /// </summary>
    public static LogIdentity Create(TransparencyLogOptions options, Func<(string Pem, string Path)>? developmentKey, ILogger logger)
    {
        if (!string.IsNullOrWhiteSpace(options.LogSigningKey)) return new LogIdentity(options, options.LogSigningKey);
        if (developmentKey is null)
            throw new InvalidOperationException("Audit:LogSigningKey is required outside Development: the PEM of an Ed25519 key (openssl genpkey -algorithm ed25519).");
        var (pem, path) = developmentKey();
        logger.LogWarning("NO Audit:LogSigningKey CONFIGURED: the audit log's checkpoints are signed with a DEVELOPMENT key from {Path}. Never use this in production.", path);
        return new LogIdentity(options, pem);
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>A configured witness with its Ed25519 cosigning key.</summary>
public sealed record Witness(string Name, Uri AddCheckpoint, byte[] PublicKey)
{
    public string VerifierKey => NoteKeys.VerifierKey(Name, NoteKeys.CosignatureV1, PublicKey);

    public static Witness Of(WitnessOptions options, int position)
    {
        var where = $"Audit:Witnesses:{position}";
        if (!SignedNote.ValidKeyName(options.Name)) throw new InvalidOperationException($"{where}:Name must be non-empty, without spaces or '+'.");
        // Operator-configured: the webhook rules against private addresses do not apply (a witness may well run inside
        // the operator's network), but it must be an absolute http(s) URL.
        if (!Uri.TryCreate(options.Url.TrimEnd('/') + "/add-checkpoint", UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new InvalidOperationException($"{where}:Url must be an absolute http or https URL.");
        byte[] key;
        try
        {
            if (options.PublicKey.Trim().StartsWith(options.Name + "+", StringComparison.Ordinal))
            {
                var (name, parsed) = NoteKeys.ParseVerifierKey(options.PublicKey, NoteKeys.CosignatureV1);
                if (name != options.Name) throw new InvalidOperationException($"{where}:PublicKey names '{name}', not '{options.Name}'.");
                key = parsed;
            }
            else key = Convert.FromBase64String(options.PublicKey);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"{where}:PublicKey is not a verifier key or the base64 of an Ed25519 key: {e.Message}", e);
        }
        if (key.Length != 32) throw new InvalidOperationException($"{where}:PublicKey is not a 32-byte Ed25519 key.");
        return new Witness(options.Name, url, key);
    }
}

/// <summary>
/// Fail closed: a process that will sign checkpoints (its workers run) outside Development must have
/// <c>Audit:LogSigningKey</c>; without it start-up stops here instead of the first checkpoint failing minutes later.
/// Loading the identity also checks the origin and every witness setting.
/// </summary>
public sealed class LogKeyStartupCheck(IServiceProvider services, IHostEnvironment environment, IConfiguration configuration) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Read now, not at registration: commands other than serve turn the workers off after the services are added.
        var signs = configuration.GetValue("Workers:Enabled", true);
        if (signs || environment.IsDevelopment()) _ = (LogIdentity)services.GetService(typeof(LogIdentity))!;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
