using System.Security.Cryptography;
using System.Text;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Infrastructure.Crypto;

/// <summary>Settings under <c>Encryption:</c>.</summary>
public sealed class EncryptionOptions
{
    /// <summary>Base64 of 32 random bytes. Required: outside Development the API does not start without it (in
    /// Development a key is generated into <c>Development:KeysDirectory</c>, see <see cref="DevelopmentKeys"/>).</summary>
    public string? MasterKey { get; set; }
    public string MasterKeyId { get; set; } = "k1";
    /// <summary>Older master keys by id (base64), kept to unwrap data keys during a rotation.</summary>
    public Dictionary<string, string> PreviousKeys { get; set; } = [];
}

/// <summary>AES-256-GCM envelope encryption: sealed = nonce(12) ‖ tag(16) ‖ ciphertext.</summary>
public sealed class PersonalDataProtector : IPersonalDataProtector
{
    private const int NonceSize = 12, TagSize = 16;
    private readonly string _currentId;
    private readonly Dictionary<string, byte[]> _masterKeys;

    public PersonalDataProtector(string currentId, IReadOnlyDictionary<string, byte[]> masterKeys)
    {
        foreach (var (id, key) in masterKeys)
            if (key.Length != 32) throw new InvalidOperationException($"Master key '{id}' must be 32 bytes (base64 of 32 random bytes).");
        _currentId = currentId;
        _masterKeys = masterKeys.ToDictionary();
        if (!_masterKeys.ContainsKey(currentId)) throw new InvalidOperationException($"Master key '{currentId}' is not configured.");
    }

    public string CurrentKeyId => _currentId;

    /// <summary>The ids of every configured master key, the current one first.</summary>
    public IReadOnlyList<string> KeyIds => [_currentId, .. _masterKeys.Keys.Where(k => k != _currentId).Order(StringComparer.Ordinal)];

    /// <summary>A key for another purpose (e.g. the blind index), derived from a master key with HKDF-SHA256: the master key itself is used for wrapping only.</summary>
    public byte[] DeriveKey(string masterKeyId, string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _masterKeys[masterKeyId], 32, salt: [], info: Encoding.UTF8.GetBytes(purpose));

    /// <summary>Whether the master key with this id is configured (current or previous).</summary>
    public bool HasKey(string masterKeyId) => _masterKeys.ContainsKey(masterKeyId);

    public DataKey NewDataKey()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        return new DataKey(key, Encrypt(_masterKeys[_currentId], key, Encoding.UTF8.GetBytes("data-key:" + _currentId)), _currentId);
    }

    public byte[] Unwrap(byte[] wrapped, string masterKeyId)
    {
        if (!_masterKeys.TryGetValue(masterKeyId, out var master))
            throw new InvalidOperationException($"Master key '{masterKeyId}' is needed to read this record but is not configured.");
        return Decrypt(master, wrapped, Encoding.UTF8.GetBytes("data-key:" + masterKeyId));
    }

    /// <summary>Re-wraps a data key under the current master key (rotation).</summary>
    public DataKey Rewrap(byte[] wrapped, string masterKeyId)
    {
        var key = Unwrap(wrapped, masterKeyId);
        return new DataKey(key, Encrypt(_masterKeys[_currentId], key, Encoding.UTF8.GetBytes("data-key:" + _currentId)), _currentId);
    }

    public byte[] Seal(byte[] dataKey, string plaintext, string context) =>
        Encrypt(dataKey, Encoding.UTF8.GetBytes(plaintext), Encoding.UTF8.GetBytes(context));

    public string Open(byte[] dataKey, byte[] sealedData, string context) =>
        Encoding.UTF8.GetString(Decrypt(dataKey, sealedData, Encoding.UTF8.GetBytes(context)));

    private static byte[] Encrypt(byte[] key, byte[] plaintext, byte[] associated)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), associated);
        return output;
    }

    private static byte[] Decrypt(byte[] key, byte[] sealedData, byte[] associated)
    {
        if (sealedData.Length < NonceSize + TagSize) throw new CryptographicException("Sealed data is truncated.");
        var plaintext = new byte[sealedData.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedData.AsSpan(0, NonceSize), sealedData.AsSpan(NonceSize + TagSize), sealedData.AsSpan(NonceSize, TagSize), plaintext, associated);
        return plaintext;
    }
}
