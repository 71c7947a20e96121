using System.Text;
using System.Text.RegularExpressions;
using ReferralNetwork.Api.Resources;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Contract;

/// <summary>
/// Every refusal and validation message written in this code base is said in sr-Latn and sr-Cyrl too (issue 15): the
/// sources are read for the messages a client can receive — the client-facing exceptions, Failures.Of, WithMessage,
/// AddFailure, ValidationFailure and (Text) casts — each turned into the template the API looks up (interpolation
/// holes numbered as the compiler numbers them), and RefusalTexts.sr-Latn.resx and .sr-Cyrl.resx must hold each one,
/// with the same holes.
/// </summary>
public sealed partial class RefusalTranslationTests
{
    /// <summary>Exceptions whose message is their second argument (the first is a stable code).</summary>
    private static readonly string[] CodeFirst = ["Unauthorized", "Gone", "RuleViolation", "DomainRule"];

    [GeneratedRegex(@"new (?<exception>NotFound|Unauthorized|Forbidden|Conflict|Gone|PreconditionFailed|PreconditionRequired|RuleViolation|PayloadTooLarge|UnsupportedContent|DomainConflict|DomainForbidden|DomainRule)Exception\(|Failures\.Of\((?<second>)|\.WithMessage\((?<fixed>)|\.AddFailure\((?<fixed>)|new ValidationFailure\((?<second>)(?<fixed>)|\(Text\)(?=\$?"")")]
    private static partial Regex Site();

    [GeneratedRegex(@"\{(\d+)(:[^}]*)?\}")]
    private static partial Regex Hole();

    public static IEnumerable<(string File, string Template, bool Interpolated, string Kind)> Templates()
    {
        var src = Path.Combine(Repository.Root, "src");
        var separator = Path.DirectorySeparatorChar;
        foreach (var file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (file.Contains($"{separator}obj{separator}", StringComparison.Ordinal) || file.Contains($"{separator}bin{separator}", StringComparison.Ordinal)) continue;
            foreach (var (template, interpolated, kind) in TemplatesIn(File.ReadAllText(file)))
                yield return (Path.GetRelativePath(Repository.Root, file), template, interpolated, kind);
        }
    }

    [Fact]
    public void Every_message_a_client_can_receive_has_both_serbian_translations_with_the_same_holes()
    {
        var templates = Templates().ToList();
        Assert.True(templates.Count > 150, $"the scan found only {templates.Count} messages: has the code moved?");
        var missing = new StringBuilder();
        foreach (var language in new[] { "sr-Latn", "sr-Cyrl" })
        {
            var texts = RefusalTexts.All(language);
            foreach (var (file, template, _, _) in templates.DistinctBy(t => t.Template))
            {
                if (!texts.TryGetValue(template, out var translation)) missing.AppendLine($"{language}: {file}: {template}");
                else if (!Holes(template).SetEquals(Holes(translation)) || Placeholders(template) != Placeholders(translation))
                    missing.AppendLine($"{language}: the holes differ: {template} → {translation}");
                else if (language == "sr-Cyrl" && !translation.Any(c => c is >= '\u0400' and <= '\u04FF'))
                    missing.AppendLine($"{language}: not in Cyrillic: {translation}");
            }
            foreach (var key in texts.Keys.Where(k => templates.All(t => t.Template != k)))
                missing.AppendLine($"{language}: a translation no code uses any more: {key}");
        }
        Assert.True(missing.Length == 0, missing.ToString());
    }

    /// <summary>A message fixed when the validator is built cannot be looked up by its template: it must be a fixed text or a Failures.Of.</summary>
    [Fact]
    public void Validation_messages_are_fixed_templates_or_carry_their_values_apart()
    {
        var built = Templates().Where(t => t.Interpolated && t.Kind is "WithMessage" or "AddFailure" or "new ValidationFailure").ToList();
        Assert.True(built.Count == 0, "Interpolated validation messages cannot be translated; use a placeholder (WithPlaceholder) or Failures.Of:\n"
            + string.Join('\n', built.Select(b => $"{b.File}: {b.Template}")));
    }

    /// <summary>"…" + "…" makes a string before the message sees it: its template would be the whole text with its values in it.</summary>
    [Fact]
    public void Messages_are_one_literal_each()
    {
        var separator = Path.DirectorySeparatorChar;
        var joined = Directory.EnumerateFiles(Path.Combine(Repository.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{separator}obj{separator}", StringComparison.Ordinal) && !f.Contains($"{separator}bin{separator}", StringComparison.Ordinal))
            .SelectMany(f => LiteralsIn(File.ReadAllText(f)).Where(l => l.Concatenated).Select(l => $"{Path.GetFileName(f)}: {l.Template}")).ToList();
        Assert.True(joined.Count == 0, "Messages joined with +:\n" + string.Join('\n', joined));
        Assert.Contains(LiteralsIn("""throw new ForbiddenException("a " + "b");"""), l => l.Concatenated);
    }

    [Fact]
    public void The_scan_reads_interpolated_templates_as_the_compiler_numbers_them()
    {
        const string sample = """
            throw new DomainConflictException($"The protocol {State.ProtocolCode} v{State.ProtocolVersion:D} has no step '{string.Join(", ", x.Select(y => $"{y}"))}'.");
            throw new NotFoundException("The referral");
            throw new RuleViolationException("rule.code", $"A {(a ? "b" : "c")} {{literal}} x.");
            """;
        var found = Scan(sample).ToList();
        Assert.Equal(["The protocol {0} v{1:D} has no step '{2}'.", "The referral was not found.", "A {0} {{literal}} x."], found);
        // And the runtime agrees: the Text built by the compiler has the same template.
        var code = "child-protection";
        ReferralNetwork.Domain.Text text = $"The protocol {code} v{3:D} has no step '{"x"}'.";
        Assert.Equal(found[0], text.Template);
        Assert.Equal("The protocol child-protection v3 has no step 'x'.", text.ToString());
    }

    private static IEnumerable<string> Scan(string source) => TemplatesIn(source).Select(t => t.Template);

    private static IEnumerable<(string Template, bool Interpolated, string Kind)> TemplatesIn(string s) =>
        LiteralsIn(s).Select(l => (l.Template, l.Interpolated, l.Kind));

    private static IEnumerable<(string Template, bool Interpolated, string Kind, bool Concatenated)> LiteralsIn(string s)
    {
        foreach (Match m in Site().Matches(s))
        {
            var i = m.Index + m.Length;
            var exception = m.Groups["exception"].Success ? m.Groups["exception"].Value : null;
            var kind = exception ?? m.Value.Trim('(', ')', '.', ' ');
            if (m.Groups["second"].Success || (exception is not null && CodeFirst.Contains(exception)))
            {
                // new ValidationFailure("field", "message"), Failures.Of(field, $"..."), new RuleViolationException("rule", "...")
                var first = ReadLiteral(s, i);
                if (first is not null && Next(s, first.Value.End) == ',') i = NextIndex(s, first.Value.End) + 1;
                else if (first is null) i = SkipArgument(s, i);
                else continue;
            }
            else if (m.Groups["fixed"].Success && ReadLiteral(s, i) is { } only && Next(s, only.End) == ',')
            {
                i = NextIndex(s, only.End) + 1; // AddFailure("property", "message")
            }
            if (ReadLiteral(s, i) is not { } literal) continue;
            yield return (exception == "NotFound" ? literal.Text + " was not found." : literal.Text, literal.Interpolated, kind, Next(s, literal.End) == '+');
        }
    }

    private static HashSet<string> Holes(string text) => Hole().Matches(text).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>FluentValidation placeholders ({PropertyValue}, {Allowed}) in order of appearance.</summary>
    private static string Placeholders(string text) => string.Join(",", Regex.Matches(text, @"(?<!\{)\{[A-Z][A-Za-z]*\}(?!\})").Select(m => m.Value).Order());

    private static char Next(string s, int i) => s[NextIndex(s, i)];

    private static int NextIndex(string s, int i)
    {
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        return i;
    }

    private static int SkipArgument(string s, int i)
    {
        var depth = 0;
        var inString = false;
        for (; i < s.Length; i++)
        {
            var c = s[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') inString = true;
            else if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']' or '}') depth--;
            else if (c == ',' && depth == 0) return i + 1;
        }
        return i;
    }

    /// <summary>A C# string literal at i: "..." as written, or $"..." with its holes numbered {0}, {1:format}, … and doubled braces kept.</summary>
    private static (string Text, bool Interpolated, int End)? ReadLiteral(string s, int i)
    {
        i = NextIndex(s, i);
        if (i >= s.Length) return null;
        var text = new StringBuilder();
        if (s[i] == '$' && i + 1 < s.Length && s[i + 1] == '"')
        {
            var j = i + 2;
            var n = 0;
            while (true)
            {
                var c = s[j];
                if (c == '"') return (Unescape(text.ToString()), true, j + 1);
                if (c == '\\') { text.Append(s, j, 2); j += 2; continue; }
                if ((c == '{' && s[j + 1] == '{') || (c == '}' && s[j + 1] == '}')) { text.Append(s, j, 2); j += 2; continue; }
                if (c == '{')
                {
                    int depth = 0, k = j + 1, format = -1;
                    var inString = false;
                    for (; ; k++)
                    {
                        var ch = s[k];
                        if (inString)
                        {
                            if (ch == '\\') k++;
                            else if (ch == '"') inString = false;
                        }
                        else if (ch == '"') inString = true;
                        else if (ch is '(' or '[' or '{') depth++;
                        else if (ch is ')' or ']') depth--;
                        else if (ch == '}' && depth == 0) break;
                        else if (ch == '}') depth--;
                        else if (ch == ':' && depth == 0 && format < 0) format = k;
                    }
                    text.Append('{').Append(n++);
                    if (format >= 0) text.Append(s, format, k - format);
                    text.Append('}');
                    j = k + 1;
                    continue;
                }
                text.Append(c);
                j++;
            }
        }
        if (s[i] == '"' && !s.AsSpan(i).StartsWith("\"\"\""))
        {
            var j = i + 1;
            while (s[j] != '"')
            {
                if (s[j] == '\\') { text.Append(s, j, 2); j += 2; continue; }
                text.Append(s[j++]);
            }
            return (Unescape(text.ToString()), false, j + 1);
        }
        return null;
    }

    private static string Unescape(string text) => text.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\'", "'", StringComparison.Ordinal)
        .Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
}
