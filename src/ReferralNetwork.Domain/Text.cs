using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace ReferralNetwork.Domain;

/// <summary>
/// A message for people that can be said in the caller's language: its English template ("The step '{0}' was recorded
/// before.") and the values that fill it. Refusals take a <see cref="Text"/> instead of a string, and the compiler
/// builds one from an interpolated string by itself (this is an interpolated string handler) or from a plain string
/// (implicitly), so a throw site reads as before. The API's problem writer looks the template up in its resource files
/// and fills the translation with the same values; anything without a translation is said in English.
/// </summary>
[InterpolatedStringHandler]
public sealed class Text
{
    private readonly StringBuilder? _template;
    private readonly List<object?> _arguments;
    private readonly bool _plain;
    private string? _built;

    public Text(int literalLength, int formattedCount)
    {
        _template = new StringBuilder(literalLength + formattedCount * 4);
        _arguments = new List<object?>(formattedCount);
    }

    private Text(string message)
    {
        _arguments = [];
        _plain = true;
        _built = message;
    }

    public static implicit operator Text(string message) => new(message);

    public void AppendLiteral(string literal) => _template!.Append(literal.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal));

    public void AppendFormatted<T>(T value) => AppendFormatted(value, null);

    public void AppendFormatted<T>(T value, string? format)
    {
        _template!.Append('{').Append(_arguments.Count.ToString(CultureInfo.InvariantCulture));
        if (format is not null) _template.Append(':').Append(format);
        _template.Append('}');
        _arguments.Add(value);
    }

    /// <summary>
    /// The English template with numbered holes and doubled literal braces, the key of its translations; a plain message
    /// is its own key, as it is.
    /// </summary>
    public string Template => _built ??= _template!.ToString();

    public IReadOnlyList<object?> Arguments => _arguments;

    /// <summary>The message with <paramref name="translate"/>'s template (or the English one) and the same values.</summary>
    public string Say(Func<string, string?> translate)
    {
        var template = translate(Template);
        if (template is null) return ToString();
        if (_plain) return template;
        try
        {
            return string.Format(CultureInfo.InvariantCulture, template, _arguments.ToArray());
        }
        catch (FormatException)
        {
            return ToString(); // a broken translation never hides the refusal
        }
    }

    public override string ToString() => _plain ? Template : string.Format(CultureInfo.InvariantCulture, Template, _arguments.ToArray());
}
