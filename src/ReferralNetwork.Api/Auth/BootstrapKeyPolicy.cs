namespace ReferralNetwork.Api.Auth;

/// <summary>
/// Outside Development the bootstrap network-admin key (<c>Bootstrap:NetworkAdminKey</c>) must carry at least
/// <see cref="RequiredBits"/> bits of randomness, or the API refuses to start: it opens the network admin's powers to
/// anyone who can guess it, and a key typed by hand — or copied from the README — can be guessed.
/// <para>
/// Randomness cannot be measured from one string, only estimated, so the estimate is deliberately pessimistic about what
/// people type (after zxcvbn's ideas, without its dictionaries). Each character after <c>rn_</c> counts log2 of the
/// alphabet its character classes span (lowercase 26, uppercase 26, digits 10, others 33), except that it counts
/// <list type="bullet">
/// <item>1 bit when it repeats the previous character or continues a run like <c>abc</c> or <c>789</c>;</item>
/// <item>1 bit when it is part of a stretch (3+ characters) that already occurred earlier in the key, or of a word people
///   put in keys (<see cref="Words"/>: admin, example, secret, …), or is a punctuation mark the key used before (a separator);</item>
/// <item>2 bits when it is one of a run of 4+ letters of one case — how words look — or 3 bits when the key mixes
///   lowercase, uppercase and digits (random base64 is full of such runs, words in a mixed key are rarer).</item>
/// </list>
/// A key of 32 random bytes in base64url (<c>rn_</c> + 43 characters, the deploy recipe) scores about 245 but, rarely,
/// less than 128 (126 was seen once in 20,000 tries): the keys the API issues carry 48 bytes (64 characters) for that
/// reason; the README's <c>rn_walkthrough_admin_key_0123456789</c> scores
/// 47, deploy/k8s's placeholder 118, a lowercase pass-phrase of 44 letters 83. An estimate cannot recognise every
/// pass-phrase (a long one in mixed case may pass): generate the key.
/// </para>
/// </summary>
public static class BootstrapKeyPolicy
{
    public const int RequiredBits = 128;
    private const string Prefix = "rn_";

    /// <summary>Words found in hand-made and placeholder keys (in any case).</summary>
    public static readonly string[] Words =
    [
        "admin", "bootstrap", "change", "default", "demo", "example", "generate", "key", "letmein", "network", "pass", "placeholder",
        "prod", "qwerty", "referral", "sample", "secret", "test", "walkthrough",
    ];

    /// <summary>Why <paramref name="key"/> may not bootstrap a production network, or null when it may (or none is set).</summary>
    public static string? Problem(string? key)
    {
        if (string.IsNullOrWhiteSpace(key)) return null;
        var bits = EstimateBits(key);
        return bits >= RequiredBits ? null
            : $"Bootstrap:NetworkAdminKey carries about {bits:0} bits of randomness, fewer than the {RequiredBits} required outside Development: " +
              "generate one, e.g. rn_$(openssl rand -base64 48 | tr '+/' '-_' | tr -d '=').";
    }

    /// <summary>A pessimistic estimate of the key's randomness in bits (see the type's remarks).</summary>
    public static double EstimateBits(string key)
    {
        var body = key.StartsWith(Prefix, StringComparison.Ordinal) ? key[Prefix.Length..] : key;
        if (body.Length == 0) return 0;
        var alphabet = (body.Any(char.IsAsciiLetterLower) ? 26 : 0) + (body.Any(char.IsAsciiLetterUpper) ? 26 : 0)
            + (body.Any(char.IsAsciiDigit) ? 10 : 0) + (body.Any(c => !char.IsAsciiLetterOrDigit(c)) ? 33 : 0);
        var full = Math.Log2(alphabet);
        var wordBits = body.Any(char.IsAsciiLetterLower) && body.Any(char.IsAsciiLetterUpper) && body.Any(char.IsAsciiDigit) ? 3 : 2;
        var credit = new double[body.Length];
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (i > 0 && (c == body[i - 1] || (i > 1 && Math.Abs(c - body[i - 1]) == 1 && c - body[i - 1] == body[i - 1] - body[i - 2])))
                credit[i] = 1;
            else if (char.IsAsciiLetter(c) && LetterRun(body, i) >= 4)
                credit[i] = Math.Min(full, wordBits);
            else
                credit[i] = full;
        }
        // Known words, and a separator used again: 1 bit a character at most.
        foreach (var word in Words)
            for (var at = body.IndexOf(word, StringComparison.OrdinalIgnoreCase); at >= 0; at = body.IndexOf(word, at + 1, StringComparison.OrdinalIgnoreCase))
                for (var j = at; j < at + word.Length; j++) credit[j] = Math.Min(credit[j], 1);
        for (var i = 0; i < body.Length; i++)
            if (!char.IsAsciiLetterOrDigit(body[i]) && body.IndexOf(body[i]) < i) credit[i] = Math.Min(credit[i], 1);
        // Stretches seen before: each of their characters counts 1 bit at most.
        for (var i = 1; i < body.Length; i++)
        {
            var length = LongestEarlierMatch(body, i);
            if (length < 3) continue;
            for (var j = i; j < i + length; j++) credit[j] = Math.Min(credit[j], 1);
            i += length - 1;
        }
        return credit.Sum();
    }

    /// <summary>The length of the run of same-case letters that <paramref name="i"/> belongs to.</summary>
    private static int LetterRun(string text, int i)
    {
        var upper = char.IsAsciiLetterUpper(text[i]);
        bool Same(char c) => char.IsAsciiLetter(c) && char.IsAsciiLetterUpper(c) == upper;
        int start = i, end = i;
        while (start > 0 && Same(text[start - 1])) start--;
        while (end < text.Length - 1 && Same(text[end + 1])) end++;
        return end - start + 1;
    }

    /// <summary>The longest stretch starting at <paramref name="i"/> that also starts at an earlier position.</summary>
    private static int LongestEarlierMatch(string text, int i)
    {
        var best = 0;
        for (var j = 0; j < i; j++)
        {
            var length = 0;
            while (i + length < text.Length && text[j + length] == text[i + length]) length++;
            best = Math.Max(best, length);
        }
        return best;
    }
}
