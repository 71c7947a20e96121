using System.Security.Cryptography;

namespace ReferralNetwork.Browser.Tests;

/// <summary>
/// What a person's authenticator app does with the secret the activation page shows: RFC 6238 codes (HMAC-SHA-1,
/// 6 digits, 30 s steps) from a Base32 secret — written here so the browser tests do not use the server's code.
/// </summary>
public static class Authenticator
{
    /// <summary>The code for the current 30-second step.</summary>
    public static string CodeNow(byte[] secret) => Code(secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30);

    public static string Code(byte[] secret, long step)
    {
        var counter = BitConverter.GetBytes(step);
        if (BitConverter.IsLittleEndian) Array.Reverse(counter);
        var hash = HMACSHA1.HashData(secret, counter);
        var offset = hash[^1] & 0x0f;
        var binary = (hash[offset] & 0x7f) << 24 | hash[offset + 1] << 16 | hash[offset + 2] << 8 | hash[offset + 3];
        return (binary % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    public static byte[] Base32Decode(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text)
        {
            buffer = buffer << 5 | alphabet.IndexOf(c);
            bits += 5;
            if (bits >= 8) { bytes.Add((byte)(buffer >> (bits - 8))); bits -= 8; }
        }
        return [.. bytes];
    }
}
