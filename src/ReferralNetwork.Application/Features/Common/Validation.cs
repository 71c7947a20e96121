using System.Text.RegularExpressions;
using FluentValidation;
using ReferralNetwork.Domain;

namespace ReferralNetwork.Application.Features.Common;

public static partial class Validation
{
    [GeneratedRegex("^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")]
    private static partial Regex Bcp47();

    [GeneratedRegex("^[a-z][a-z0-9_]{1,49}$")]
    private static partial Regex ServiceCode();

    [GeneratedRegex("^[A-Z]{2}$")]
    private static partial Regex CountryCode();

    public static IRuleBuilderOptions<T, string?> IsCode<T, TEnum>(this IRuleBuilder<T, string?> rule) where TEnum : struct, Enum =>
        rule.Must(v => v is null || Wire.TryParse<TEnum>(v, out _))
            .WithMessage("'{PropertyValue}' is not one of: {Allowed}.").WithPlaceholder("Allowed", string.Join(", ", Wire.Codes<TEnum>()));

    public static IRuleBuilderOptions<T, string?> IsLanguageTag<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(v => v is not null && Bcp47().IsMatch(v)).WithMessage("'{PropertyValue}' is not a BCP 47 language tag (e.g. sr, sr-Latn, ar, fa, uk).");

    public static IRuleBuilderOptions<T, string?> IsServiceCode<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(v => v is not null && ServiceCode().IsMatch(v)).WithMessage("'{PropertyValue}' is not a service code.");

    public static IRuleBuilderOptions<T, string?> IsCountryCode<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(v => v is null || CountryCode().IsMatch(v)).WithMessage("'{PropertyValue}' is not an ISO 3166 alpha-2 code (e.g. AF, SY, UA).");

    /// <summary>Free text: bounded, and no control characters other than line breaks and tabs.</summary>
    public static IRuleBuilderOptions<T, string?> IsText<T>(this IRuleBuilder<T, string?> rule, int maxLength) =>
        rule.MaximumLength(maxLength)
            .Must(v => v is null || !v.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
            .WithMessage("Control characters are not allowed.");

    public static IRuleBuilderOptions<T, int?> IsLimit<T>(this IRuleBuilder<T, int?> rule) =>
        rule.InclusiveBetween(1, Paging.MaxLimit);
}
