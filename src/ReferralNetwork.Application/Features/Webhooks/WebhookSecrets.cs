using System.Security.Cryptography;
using System.Text;

namespace ReferralNetwork.Application.Features.Webhooks;

/// <summary>
/// Standard Webhooks signing (https://www.standardwebhooks.com): the secret is <c>whsec_</c> + base64 of 32 random bytes;
/// the signature is <c>v1,</c> + base64(HMAC-SHA256(secret bytes, "{webhook-id}.{webhook-timestamp}.{body}")).
/// </summary>
public static class WebhookSecrets
{
    public const string Prefix = "whsec_";

    public static string NewSecret() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The HMAC key: the base64-decoded part after the prefix.</summary>
    public static byte[] KeyBytes(string secret) =>
        secret.StartsWith(Prefix, StringComparison.Ordinal) ? Convert.FromBase64String(secret[Prefix.Length..])
            : throw new FormatException("A webhook secret starts with whsec_.");

    public static string Sign(string secret, string webhookId, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{webhookId}.{timestamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(KeyBytes(secret), signed));
    }

    /// <summary>Binds a sealed secret to its subscription: a ciphertext copied to another row does not open.</summary>
    public static string SealingContext(Guid subscriptionId) => $"webhook:{subscriptionId}:secret";
}
