namespace ReferralNetwork.Application.Abstractions;

/// <summary>A person's data key: the plaintext for this request only, and its form wrapped by the master key.</summary>
public sealed record DataKey(byte[] Key, byte[] Wrapped, string MasterKeyId);

/// <summary>
/// Envelope encryption of personal data (DESIGN §2): AES-256-GCM under a per-person data key, the data key wrapped by
/// the configured master key. Deleting the wrapped key (erasure) makes everything sealed with it unreadable.
/// </summary>
public interface IPersonalDataProtector
{
    DataKey NewDataKey();
    byte[] Unwrap(byte[] wrapped, string masterKeyId);

    /// <summary>Seals text; <paramref name="context"/> (e.g. "person:{id}:identity") is bound as associated data, so a
    /// ciphertext moved to another row does not open.</summary>
    byte[] Seal(byte[] dataKey, string plaintext, string context);
    string Open(byte[] dataKey, byte[] sealedData, string context);
}
