using System.Globalization;
using System.Resources;

namespace ReferralNetwork.Api.Resources;

/// <summary>
/// Problem titles and the API's own validation texts in the caller's language (Accept-Language: en, sr-Latn, sr-Cyrl;
/// default en), from ProblemTexts*.resx. FluentValidation's built-in messages follow the same culture by themselves.
/// Member names and codes stay English.
/// </summary>
public static class ProblemTexts
{
    public static readonly string[] Languages = ["en", "sr-Latn", "sr-Cyrl"];

    private static readonly ResourceManager Texts = new("ReferralNetwork.Api.Resources.ProblemTexts", typeof(ProblemTexts).Assembly);

    public static string Get(string key) => Texts.GetString(key, CultureInfo.CurrentUICulture) ?? key;

    public static string Format(string key, object? argument) => string.Format(CultureInfo.CurrentCulture, Get(key), argument);
}
