using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace ReferralNetwork.Application.Features.ApiKeys;

/// <summary>
/// API keys are <c>rn_</c> + 64 url-safe characters (48 random bytes, so that even the pessimistic estimate of
/// <c>BootstrapKeyPolicy</c> never comes near its 128 bits). Only the SHA-256 of the whole key is stored:
/// a key has 384 bits of entropy, so a fast hash is enough (no password stretching needed).
/// </summary>
public static class ApiKeySecrets
{
    public const string Prefix = "rn_";

    public static string NewKey() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(48));

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static string DisplayPrefix(string key) => key[..Math.Min(key.Length, 10)];

    public static bool LooksLikeKey(string? value) =>
        value is { Length: > 10 and <= 200 } && value.StartsWith(Prefix, StringComparison.Ordinal);
}
