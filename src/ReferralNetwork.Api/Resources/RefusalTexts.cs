using System.Globalization;
using System.Resources;
using FluentValidation.Internal;

namespace ReferralNetwork.Api.Resources;

/// <summary>
/// Refusal details and the API's own validation messages in the caller's language (issue 15): RefusalTexts*.resx
/// map an English template (the key, e.g. "The step '{0}' was recorded before.") to its sr-Latn and sr-Cyrl
/// translations with the same numbered holes. English needs no file: a template without a translation is said as
/// it is. Tests/…/Contract/RefusalTranslationTests reads the sources and fails on a template with no translation.
/// </summary>
public static class RefusalTexts
{
    private static readonly ResourceManager Texts = new("ReferralNetwork.Api.Resources.RefusalTexts", typeof(RefusalTexts).Assembly);

    /// <summary>The translation of an English template into the current UI language, or null (English, or none yet).</summary>
    public static string? Translate(string template) =>
        CultureInfo.CurrentUICulture.Name.StartsWith("sr", StringComparison.Ordinal) ? Texts.GetString(template, CultureInfo.CurrentUICulture) : null;

    /// <summary>Every key and translation of one language, for the completeness test.</summary>
    public static IReadOnlyDictionary<string, string> All(string language)
    {
        var set = Texts.GetResourceSet(new CultureInfo(language), createIfNotExists: true, tryParents: false);
        var all = new Dictionary<string, string>(StringComparer.Ordinal);
        if (set is null) return all;
        foreach (System.Collections.DictionaryEntry entry in set) all[(string)entry.Key] = (string)entry.Value!;
        return all;
    }
}

/// <summary>
/// FluentValidation's message formatter with one step before its own: a message template written in this code base
/// (WithMessage, AddFailure) is replaced by its translation, then its placeholders ({PropertyValue}, …) are filled.
/// </summary>
public sealed class TranslatingMessageFormatter : MessageFormatter
{
    public override string BuildMessage(string messageTemplate) => base.BuildMessage(RefusalTexts.Translate(messageTemplate) ?? messageTemplate);
}
