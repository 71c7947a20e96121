using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace ReferralNetwork.Application.Features.Users;

/// <summary>
/// Password hashes: PBKDF2-HMAC-SHA256 from .NET's own cryptography (maintained with the runtime), a 16-byte random salt,
/// stored as <c>pbkdf2-sha256$iterations$salt$hash</c> so the cost can rise without invalidating existing hashes.
/// </summary>
public static class PasswordHashing
{
    private const string Scheme = "pbkdf2-sha256";

    public static string Hash(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        return $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>Whether the password matches; a malformed stored value never matches.</summary>
    public static bool Verify(string password, string? stored, out int iterations)
    {
        iterations = 0;
        var parts = stored?.Split('$');
        if (parts is not [Scheme, var count, var salt, var hash] || !int.TryParse(count, out iterations) || iterations < 1) return false;
        var expected = Convert.FromBase64String(hash);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(salt), iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>A hash to verify against when the username is unknown, so that both answers take as long.</summary>
    public static string Decoy(int iterations) => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), iterations);
}

/// <summary>
/// NIST SP 800-63B §3.1.1.2: at least 12 characters (this network's choice above the minimum 8), at most 128, every
/// character allowed, no composition rules, and refused when found in a local list of common or breached passwords, or
/// when it is the username or a run of one character. The list ships with the binaries (no external service).
/// </summary>
public static class PasswordPolicy
{
    public const int MinLength = 12;
    public const int MaxLength = 128;

    private static readonly Lazy<HashSet<string>> DenyList = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ReferralNetwork.Application.Features.Users.common-passwords.txt")
            ?? throw new InvalidOperationException("The password deny-list is missing from the build.");
        using var reader = new StreamReader(stream);
        var words = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
            if (line.Trim() is { Length: > 0 } word && !word.StartsWith('#')) words.Add(word);
        return words;
    });

    /// <summary>Why the password is refused, or null when it is acceptable.</summary>
    public static string? Refusal(string? password, string? username)
    {
        if (string.IsNullOrEmpty(password)) return "A password is required.";
        var length = new System.Globalization.StringInfo(password.Normalize(NormalizationForm.FormC)).LengthInTextElements;
        if (length < MinLength) return $"The password must have at least {MinLength} characters; a few words make a good one.";
        if (length > MaxLength) return $"The password may have at most {MaxLength} characters.";
        if (password.Distinct().Count() == 1) return "The password is one character repeated.";
        if (username is { Length: > 0 } && password.Contains(username, StringComparison.OrdinalIgnoreCase))
            return "The password must not contain the username.";
        if (DenyList.Value.Contains(password) || DenyList.Value.Contains(StripDigits(password)))
            return "This password is in a list of common or breached passwords; choose another.";
        return null;
    }

    private static string StripDigits(string password) => password.TrimEnd("0123456789!.".ToCharArray());
}
