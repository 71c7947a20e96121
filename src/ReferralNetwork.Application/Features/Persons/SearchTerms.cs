using System.Globalization;
using System.Text;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>The kinds of blind-index term (issue 17). The kind is part of what is hashed, so equal texts of two kinds never collide.</summary>
public static class SearchTermKind
{
    /// <summary>A name token, folded: lower case, no diacritics, Serbian Cyrillic transliterated (Đorđević, Ђорђевић → djordjevic).</summary>
    public const string Name = "name";

    /// <summary>A name token's consonant skeleton (<see cref="SearchTerms.Phonetic"/>): Mohammad, Muhammad, Mohamed → mhmd.</summary>
    public const string Phonetic = "phonetic";

    /// <summary>The last nine digits of a phone number (+381 64 123 4567 and 064 1234567 agree).</summary>
    public const string Phone = "phone";
}

/// <summary>
/// Normalises what a worker types or a referrer recorded into the terms the blind index hashes (issue 17). Pure: the
/// terms never leave memory in clear; <see cref="IBlindIndex"/> turns each into a keyed hash.
/// <para>Folding: Serbian Cyrillic is transliterated to Latin first (љ→lj, њ→nj, џ→dž, ђ→đ, ћ→ć, and the rest letter by
/// letter), then đ→dj and every other diacritic is dropped (ž→z, č/ć→c, š→s), letters are lowered, and anything that is
/// neither letter nor digit separates tokens. So "Đorđević", "Ђорђевић", "DJORDJEVIC" and "Djordjevic" are one token.</para>
/// <para>Phonetic key, for names transliterated from Arabic, Persian or Pashto, where each writer picks other vowels and
/// doubles: digraphs kh→h, gh→g, sh→s, ch→c, zh→z, th→t, ph→f, dh→d; q→k, c→k, w→v, x→ks; then vowels (a e i o u y) are
/// dropped and repeated letters collapsed. "Mohammad", "Muhammad", "Mohamed", "Mohammed" → mhmd; "Karimi", "Qarimi" → krm.
/// A token with no consonant keeps its folded form. The key is deliberately coarse: it finds candidates, the worker decides.</para>
/// </summary>
public static class SearchTerms
{
    private static readonly Dictionary<char, string> Cyrillic = new()
    {
        ['а'] = "a", ['б'] = "b", ['в'] = "v", ['г'] = "g", ['д'] = "d", ['ђ'] = "đ", ['е'] = "e", ['ж'] = "ž", ['з'] = "z", ['и'] = "i",
        ['ј'] = "j", ['к'] = "k", ['л'] = "l", ['љ'] = "lj", ['м'] = "m", ['н'] = "n", ['њ'] = "nj", ['о'] = "o", ['п'] = "p", ['р'] = "r",
        ['с'] = "s", ['т'] = "t", ['ћ'] = "ć", ['у'] = "u", ['ф'] = "f", ['х'] = "h", ['ц'] = "c", ['ч'] = "č", ['џ'] = "dž", ['ш'] = "š",
        // Russian and Ukrainian letters a Serbian worker may meet in documents.
        ['й'] = "j", ['ы'] = "y", ['э'] = "e", ['ю'] = "ju", ['я'] = "ja", ['ё'] = "jo", ['щ'] = "šč", ['ъ'] = "", ['ь'] = "", ['і'] = "i", ['ї'] = "ji", ['є'] = "je",
    };

    /// <summary>The folded tokens of a text, distinct, in order.</summary>
    public static IReadOnlyList<string> Tokens(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var latin = new StringBuilder(text.Length + 8);
        foreach (var c in text.ToLowerInvariant())
            latin.Append(Cyrillic.TryGetValue(c, out var l) ? l : c == 'đ' ? "dj" : c.ToString());
        var decomposed = latin.ToString().Replace("đ", "dj", StringComparison.Ordinal).Normalize(NormalizationForm.FormD);
        var tokens = new List<string>();
        var token = new StringBuilder();
        foreach (var c in decomposed)
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark) continue;
            // Apostrophes inside transliterated names (Ma'ruf, D'Souza) do not split them.
            if (c is '\'' or '’' or 'ʼ' or 'ʻ') continue;
            if (char.IsLetterOrDigit(c)) token.Append(c);
            else Flush();
        }
        Flush();
        return tokens;

        void Flush()
        {
            if (token.Length == 0) return;
            var t = token.ToString().Normalize(NormalizationForm.FormC);
            if (!tokens.Contains(t)) tokens.Add(t);
            token.Clear();
        }
    }

    /// <summary>The consonant skeleton of one folded token (see the class summary).</summary>
    public static string Phonetic(string token)
    {
        var s = token.Replace("kh", "h", StringComparison.Ordinal).Replace("gh", "g", StringComparison.Ordinal).Replace("sh", "s", StringComparison.Ordinal)
            .Replace("ch", "c", StringComparison.Ordinal).Replace("zh", "z", StringComparison.Ordinal).Replace("th", "t", StringComparison.Ordinal)
            .Replace("ph", "f", StringComparison.Ordinal).Replace("dh", "d", StringComparison.Ordinal);
        var key = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            var mapped = c switch { 'q' => "k", 'c' => "k", 'w' => "v", 'x' => "ks", 'a' or 'e' or 'i' or 'o' or 'u' or 'y' => "", _ => c.ToString() };
            foreach (var m in mapped)
                if (key.Length == 0 || key[^1] != m) key.Append(m);
        }
        return key.Length == 0 ? token : key.ToString();
    }

    /// <summary>The digits a phone number is matched by (the last nine), or null when it has fewer than six.</summary>
    public static string? PhoneDigits(string? phone)
    {
        if (phone is null) return null;
        var digits = new string(phone.Where(char.IsAsciiDigit).ToArray());
        return digits.Length < 6 ? null : digits.Length > 9 ? digits[^9..] : digits;
    }

    /// <summary>Every (kind, term) of a person's identity the index holds: name tokens, their phonetic keys, the phone's digits.</summary>
    public static IReadOnlyList<(string Kind, string Term)> Of(PersonIdentity identity)
    {
        var terms = new List<(string, string)>();
        foreach (var token in Tokens($"{identity.GivenName} {identity.FamilyName}"))
        {
            terms.Add((SearchTermKind.Name, token));
            terms.Add((SearchTermKind.Phonetic, Phonetic(token)));
        }
        if (PhoneDigits(identity.Phone) is { } digits) terms.Add((SearchTermKind.Phone, digits));
        return terms.Distinct().ToList();
    }
}

/// <summary>
/// Keyed blind index (issue 17): HMAC-SHA256 of a term under a key derived from the master key, so equal terms can be
/// found without any name at rest in clear. A rotation of the master key re-keys the index (rotate-master-key).
/// </summary>
public interface IBlindIndex
{
    /// <summary>The id of the master key the index key is currently derived from.</summary>
    string CurrentKeyId { get; }

    /// <summary>The term's hash under the current key (what is written).</summary>
    byte[] Hash(string kind, string term);

    /// <summary>The term's hashes under every configured master key (what is searched: during a rotation rows of both exist).</summary>
    IReadOnlyList<byte[]> SearchHashes(string kind, string term);
}
