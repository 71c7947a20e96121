using System.Security.Cryptography;
using System.Text;
using ReferralNetwork.Application.Features.Persons;

namespace ReferralNetwork.Infrastructure.Crypto;

/// <summary>
/// HMAC-SHA256 over <c>kind:term</c> under a key derived (HKDF) from each configured master key, truncated to 16 bytes:
/// enough that unrelated terms do not collide, short enough to index. Knowing a hash without the key says nothing; with
/// the database alone, names cannot be guessed even from a list of common names, since the key never leaves configuration.
/// </summary>
public sealed class BlindIndex : IBlindIndex
{
    public const string Purpose = "referralnet blind index v1";
    private const int HashSize = 16;
    private readonly IReadOnlyList<(string Id, byte[] Key)> _keys;

    public BlindIndex(PersonalDataProtector protector) =>
        _keys = protector.KeyIds.Select(id => (id, protector.DeriveKey(id, $"{Purpose}:{id}"))).ToList();

    public string CurrentKeyId => _keys[0].Id;

    public byte[] Hash(string kind, string term) => Compute(_keys[0].Key, kind, term);

    public IReadOnlyList<byte[]> SearchHashes(string kind, string term) => _keys.Select(k => Compute(k.Key, kind, term)).ToList();

    private static byte[] Compute(byte[] key, string kind, string term) =>
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{kind}:{term}"))[..HashSize];
}
