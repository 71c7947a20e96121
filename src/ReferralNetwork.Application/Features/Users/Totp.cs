using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ReferralNetwork.Application.Features.Users;

/// <summary>
/// RFC 6238 time-based one-time passwords as authenticator apps expect them: HMAC-SHA-1, 6 digits, 30-second steps,
/// the secret in RFC 4648 base32. A code of the current step or the one before or after is accepted (clock drift), and
/// never one of a step at or before the last one used (no replay).
/// </summary>
public static class Totp
{
    public const int StepSeconds = 30;
    public const int Digits = 6;

    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(20);

    public static long Step(DateTimeOffset at) => at.ToUnixTimeSeconds() / StepSeconds;

    /// <summary>The code of one time step (RFC 4226 §5.3 dynamic truncation).</summary>
    public static string Code(byte[] secret, long step, int digits = Digits, HashAlgorithmName? algorithm = null)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        var name = algorithm ?? HashAlgorithmName.SHA1;
        var hash = name == HashAlgorithmName.SHA256 ? HMACSHA256.HashData(secret, counter)
            : name == HashAlgorithmName.SHA512 ? HMACSHA512.HashData(secret, counter)
            : HMACSHA1.HashData(secret, counter);
        var offset = hash[^1] & 0x0f;
        var binary = (hash[offset] & 0x7f) << 24 | hash[offset + 1] << 16 | hash[offset + 2] << 8 | hash[offset + 3];
        var modulo = (int)Math.Pow(10, digits);
        return (binary % modulo).ToString(new string('0', digits), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The step the code belongs to (now ±1), if it is later than <paramref name="lastUsedStep"/>.</summary>
    public static long? Match(byte[] secret, string? code, DateTimeOffset now, long? lastUsedStep)
    {
        if (code is not { Length: Digits } || !code.All(char.IsAsciiDigit)) return null;
        var current = Step(now);
        for (var step = current - 1; step <= current + 1; step++)
            if ((lastUsedStep is null || step > lastUsedStep) &&
                CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Code(secret, step)), Encoding.ASCII.GetBytes(code)))
                return step;
        return null;
    }

    /// <summary>The otpauth URI authenticator apps read from the QR code (Key Uri Format).</summary>
    public static string Uri(string issuer, string account, byte[] secret) =>
        $"otpauth://totp/{System.Uri.EscapeDataString(issuer)}:{System.Uri.EscapeDataString(account)}?secret={Base32.Encode(secret)}" +
        $"&issuer={System.Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits={Digits}&period={StepSeconds}";
}

/// <summary>RFC 4648 base32, upper case, without padding (what authenticator apps take).</summary>
public static class Base32
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string Encode(byte[] data)
    {
        var output = new StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = buffer << 8 | b;
            bits += 8;
            while (bits >= 5)
            {
                output.Append(Alphabet[buffer >> (bits - 5) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0) output.Append(Alphabet[buffer << (5 - bits) & 31]);
        return output.ToString();
    }

    public static byte[] Decode(string text)
    {
        var output = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text.TrimEnd('=').ToUpperInvariant())
        {
            var value = Alphabet.IndexOf(c);
            if (value < 0) throw new FormatException($"'{c}' is not a base32 character.");
            buffer = buffer << 5 | value;
            bits += 5;
            if (bits >= 8)
            {
                output.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }
        return output.ToArray();
    }
}
