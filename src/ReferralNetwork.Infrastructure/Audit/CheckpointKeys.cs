using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>
/// The checkpoint signing key (ECDSA P-256) and the public keys checkpoints are verified with. A key's id is the
/// lowercase hex SHA-256 of its DER SubjectPublicKeyInfo, so anyone holding the PEM can compute it.
/// </summary>
public sealed class CheckpointKeys : ICheckpointPublicKey, IDisposable
{
    private readonly ECDsa _signing;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, byte[]> _trusted = new(StringComparer.Ordinal);

    public CheckpointKeys(string privateKeyPem, IEnumerable<string> previousPublicKeys)
    {
        _signing = ECDsa.Create();
        _signing.ImportFromPem(privateKeyPem);
        if (_signing.KeySize != 256 || _signing.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            throw new InvalidOperationException("Audit:CheckpointSigningKey must be an ECDSA P-256 key.");
        var spki = _signing.ExportSubjectPublicKeyInfo();
        KeyId = KeyIdOf(spki);
        PublicKeyPem = PemEncoding.WriteString("PUBLIC KEY", spki);
        _trusted[KeyId] = spki;
        foreach (var pem in previousPublicKeys.Where(p => !string.IsNullOrWhiteSpace(p)))
        {
            using var previous = ECDsa.Create();
            previous.ImportFromPem(pem);
            var previousSpki = previous.ExportSubjectPublicKeyInfo();
            _trusted[KeyIdOf(previousSpki)] = previousSpki;
        }
    }

    public string KeyId { get; }
    public string PublicKeyPem { get; }

    public CheckpointPublicKeyView PublicKey => new(KeyId, "ECDSA_P256_SHA256", "der", PublicKeyPem,
        _trusted.Keys.Where(k => k != KeyId).Order(StringComparer.Ordinal).ToList());

    public static string KeyIdOf(byte[] subjectPublicKeyInfo) => Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo));

    public string Sign(byte[] statement)
    {
        lock (_gate) return Convert.ToBase64String(_signing.SignData(statement, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    /// <summary>A verifier holding every trusted public key; one per verification run (ECDsa instances are not shared across threads).</summary>
    public CheckpointSignatureVerifier Verifier() => new(_trusted);

    /// <summary>
    /// The configured key. There is no fallback: the API's start-up checks refuse to run without it (in Development they
    /// supply one generated outside the data folder, see Crypto.DevelopmentKeys), and nothing here writes key material.
    /// </summary>
    public static CheckpointKeys Create(AuditOptions options, string dataDirectory, ILogger logger) =>
        string.IsNullOrWhiteSpace(options.CheckpointSigningKey)
            ? throw new InvalidOperationException("Audit:CheckpointSigningKey is not configured (PEM of an ECDSA P-256 key).")
            : new CheckpointKeys(options.CheckpointSigningKey, options.PreviousCheckpointPublicKeys);

    public void Dispose() => _signing.Dispose();
}

/// <summary>Checks checkpoint signatures against the trusted public keys, by key id.</summary>
public sealed class CheckpointSignatureVerifier : IDisposable
{
    private readonly Dictionary<string, ECDsa> _keys = new(StringComparer.Ordinal);

    public CheckpointSignatureVerifier(IReadOnlyDictionary<string, byte[]> trusted)
    {
        foreach (var (id, spki) in trusted)
        {
            var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(spki, out _);
            _keys[id] = key;
        }
    }

    public bool Knows(string keyId) => _keys.ContainsKey(keyId);

    public bool Verify(string keyId, byte[] statement, string signatureBase64)
    {
        if (!_keys.TryGetValue(keyId, out var key)) return false;
        // A DER ECDSA P-256 signature is at most 72 bytes.
        var signature = new byte[80];
        if (!Convert.TryFromBase64String(signatureBase64, signature, out var length)) return false;
        return key.VerifyData(statement, signature.AsSpan(0, length), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values) key.Dispose();
    }
}
