using System.Text.Json.Serialization;

namespace ReferralNetwork.Domain.Protocols;

/// <summary>
/// What a protocol tells the receiver to do (issue 23): a step with its title and guidance in the network's languages
/// (<c>sr-Latn</c>, optionally <c>sr-Cyrl</c>, <c>en</c>), the law it rests on, the services it applies to (none: every
/// service), whether completing the referral as provided needs it done, and — optionally — how long after acceptance it
/// is due (then it is a duty the receiver holds).
/// </summary>
public sealed record ProtocolStep
{
    public required string Code { get; init; }
    public required IReadOnlyDictionary<string, string> Title { get; init; }
    public IReadOnlyDictionary<string, string> Guidance { get; init; } = new Dictionary<string, string>();
    public string? LegalBasis { get; init; }
    public IReadOnlyList<string> Services { get; init; } = [];
    public bool Mandatory { get; init; }
    public string? Due { get; init; }

    [JsonIgnore] public TimeSpan? DueSpan => Due is null ? null : IsoDuration.Parse(Due);

    /// <summary>A step without services applies to every referral of the protocol; otherwise to one asking for any of them.</summary>
    public bool AppliesTo(IReadOnlyCollection<string> services) => Services.Count == 0 || Services.Any(services.Contains);
}

/// <summary>The languages step texts are written in, and how a reader's language falls back.</summary>
public static class StepLanguages
{
    public const string SerbianLatin = "sr-Latn", SerbianCyrillic = "sr-Cyrl", English = "en";

    public static readonly IReadOnlyList<string> All = [SerbianLatin, SerbianCyrillic, English];

    /// <summary>
    /// The text in <paramref name="language"/>; missing, a Cyrillic reader gets the Latin text (the same language), any
    /// other reader English, then Serbian (Latin). Latin and English are required when publishing, so one is always there.
    /// </summary>
    public static string? Pick(IReadOnlyDictionary<string, string> texts, string language)
    {
        if (texts.TryGetValue(language, out var text)) return text;
        string[] fallbacks = language == SerbianCyrillic ? [SerbianLatin, English] : [English, SerbianLatin];
        foreach (var fallback in fallbacks)
            if (texts.TryGetValue(fallback, out var found)) return found;
        return texts.Values.FirstOrDefault();
    }

    /// <summary>
    /// The first of <c>sr-Latn</c>, <c>sr-Cyrl</c>, <c>en</c> an Accept-Language header asks for, in its order (q-values
    /// are not weighed: clients send their preference first); bare <c>sr</c> is Latin, as the network writes it; default English.
    /// </summary>
    public static string FromAcceptLanguage(string? header)
    {
        foreach (var part in (header ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var tag = part.Split(';')[0].Trim();
            if (tag.StartsWith("sr-Cyrl", StringComparison.OrdinalIgnoreCase)) return SerbianCyrillic;
            if (tag.StartsWith("sr", StringComparison.OrdinalIgnoreCase)) return SerbianLatin;
            if (tag.StartsWith("en", StringComparison.OrdinalIgnoreCase)) return English;
        }
        return English;
    }
}
