using ReferralNetwork.Domain.Protocols;

namespace ReferralNetwork.Application.Abstractions;

/// <summary>
/// The language the caller reads protocol texts in (one per scope): the API sets it from <c>Accept-Language</c>
/// (sr-Latn, sr-Cyrl or en); workers and tests that set nothing read English.
/// </summary>
public sealed class ReaderLanguage
{
    public string Language { get; set; } = StepLanguages.English;
}
