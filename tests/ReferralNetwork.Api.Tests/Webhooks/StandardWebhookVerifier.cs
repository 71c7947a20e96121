using System.Security.Cryptography;
using System.Text;

namespace ReferralNetwork.Api.Tests.Webhooks;

/// <summary>
/// A receiver's verification, written from the Standard Webhooks specification and independent of the server's code:
/// HMAC-SHA256 keyed with the base64 part of whsec_…, over "{webhook-id}.{webhook-timestamp}.{raw body}", compared in
/// constant time with every "v1,…" signature of the header; a timestamp more than five minutes away is refused (replay).
/// </summary>
public static class StandardWebhookVerifier
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public static bool Verify(string secret, string? id, string? timestamp, string? signatures, byte[] body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(signatures) || !long.TryParse(timestamp, out var seconds)) return false;
        var sent = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (sent < now - Tolerance || sent > now + Tolerance) return false;

        var key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);
        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body).ToArray();
        var expected = HMACSHA256.HashData(key, signed);
        foreach (var candidate in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = candidate.Split(',', 2);
            if (parts.Length != 2 || parts[0] != "v1") continue;
            var given = new byte[32];
            if (Convert.TryFromBase64String(parts[1], given, out var length) && length == 32 && CryptographicOperations.FixedTimeEquals(given, expected))
                return true;
        }
        return false;
    }

    public static bool Verify(string secret, ReceivedWebhook request) =>
        Verify(secret, request.Id, request.Timestamp, request.Signature, request.Body, request.ReceivedAt);
}
