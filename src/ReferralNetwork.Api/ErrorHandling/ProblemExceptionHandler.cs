using System.Text.Json;
using FluentValidation;
using Microsoft.AspNetCore.Diagnostics;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Api.ErrorHandling;

/// <summary>
/// The one mapping from failures to RFC 9457 problem+json. Expected failures carry their status; anything else is
/// logged and answered 500 without internals.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail, extensions) = DatabaseUnavailableProblems.Map(context, exception) ?? Map(exception);
        if (status == 500) logger.LogError(exception, "Unhandled exception on {Method} {Path}", context.Request.Method, context.Request.Path);
        context.Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title, Detail = detail, Type = ProblemTypes.For(status) };
        foreach (var (key, value) in extensions) problem.Extensions[key] = value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    public static (int Status, string Title, string? Detail, IReadOnlyDictionary<string, object?> Extensions) Map(Exception exception) => exception switch
    {
        ValidationException v => (400, T("Invalid"), T("SeeErrors"),
            new Dictionary<string, object?> { ["errors"] = v.Errors.GroupBy(e => FieldName(e.PropertyName)).ToDictionary(g => g.Key, g => g.Select(Say).Distinct().ToArray()) }),
        BadHttpRequestException { StatusCode: 400 } b when FieldOf(b) is { } field => (400, T("Invalid"), T("SeeErrors"),
            new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field.Name] = [field.Message] } }),
        BadHttpRequestException b => (b.StatusCode, b.StatusCode switch { 413 => T("TooLarge"), 415 => T("UnsupportedMediaType"), _ => T("Unreadable") },
            DescribeBadRequest(b), NoExtensions),
        UnauthorizedException u => (401, T("Unauthorized"), Say(u.Text), new Dictionary<string, object?> { ["reason"] = u.Reason }),
        NotFoundException n => (404, T("NotFound"), Say(n.Text), NoExtensions),
        ForbiddenException f => (403, T("Forbidden"), Say(f.Text), NoExtensions),
        ConflictException c => (409, T("Conflict"), Say(c.Text), c.Extensions),
        GoneException g => (410, T("Gone"), Say(g.Text), new Dictionary<string, object?> { ["rule"] = g.Rule }),
        PreconditionFailedException p => (412, T("PreconditionFailed"), Say(p.Text), NoExtensions),
        PreconditionRequiredException p => (428, T("PreconditionRequired"), Say(p.Text), NoExtensions),
        PayloadTooLargeException p => (413, T("TooLarge"), Say(p.Text), NoExtensions),
        UnsupportedContentException u => (415, T("UnsupportedMediaType"), Say(u.Text), NoExtensions),
        RuleViolationException r => (422, T("RuleForbids"), Say(r.Text), new Dictionary<string, object?> { ["rule"] = r.Rule }),
        // DESIGN §4: a refused transition lists what the caller's party may do instead (wire codes).
        IllegalTransitionException t => (409, T("StatusForbids"), Say(t.Text), Refusal(t)),
        WrongPartyException w => (403, T("OtherParty"), Say(w.Text), Refusal(w)),
        DomainConflictException c => (409, T("Conflict"), Say(c.Text), NoExtensions),
        DomainForbiddenException f => (403, T("Forbidden"), Say(f.Text), NoExtensions),
        DomainRuleException r => (422, T("RuleForbids"), Say(r.Text), new Dictionary<string, object?>(r.Details) { ["rule"] = r.Rule }),
        _ => (500, T("Unexpected"), T("UnexpectedDetail"), NoExtensions),
    };

    private static string T(string key) => Resources.ProblemTexts.Get(key);

    /// <summary>A refusal's message in the caller's language (Resources/RefusalTexts*.resx), English where it has no translation.</summary>
    private static string Say(Text text) => text.Say(Resources.RefusalTexts.Translate);

    /// <summary>
    /// A validation message in the caller's language: one made from a <see cref="Text"/> (see ValidationTexts) is said
    /// again from its template; a fixed one is looked up as it is; FluentValidation's own are already translated.
    /// </summary>
    private static string Say(FluentValidation.Results.ValidationFailure failure) =>
        failure.CustomState is Text text ? Say(text) : Resources.RefusalTexts.Translate(failure.ErrorMessage) ?? failure.ErrorMessage;

    private static readonly IReadOnlyDictionary<string, object?> NoExtensions = new Dictionary<string, object?>();

    private static Dictionary<string, object?> Refusal(TransitionRefusedException refusal) => new()
    {
        ["allowedActions"] = refusal.Allowed.Select(a => a.Code()).ToArray(),
        ["referralStatus"] = refusal.From.Code(),
        ["party"] = refusal.Party.Code(),
    };

    /// <summary>FluentValidation's "Person.GivenName" or "Services[1]" as the JSON path a client sent: "person.givenName".</summary>
    public static string FieldName(string propertyName) =>
        string.Join('.', propertyName.Split('.').Select(p => p.Length == 0 ? p : char.ToLowerInvariant(p[0]) + p[1..]));

    private static readonly System.Text.RegularExpressions.Regex BindFailure = new(
        "parameter \"(?<type>[^\"]+) (?<name>[^ \"]+)\"(?<rest>.*)$", System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    /// <summary>
    /// The member or parameter a binding failure is about, with a message in JSON terms. Binder and parser messages
    /// name CLR types ("Nullable&lt;Guid&gt; personId", "…SubmitReferralCommand"); none of that reaches the client.
    /// </summary>
    public static (string Name, string Message)? FieldOf(BadHttpRequestException exception)
    {
        for (Exception? inner = exception.InnerException; inner is not null; inner = inner.InnerException)
            if (inner is JsonException json)
                return (JsonPath(json.Path), JsonMessage(json.Message));
        if (exception.Message.StartsWith("Implicit body inferred", StringComparison.Ordinal)) return ("body", Strictness.StrictMessages.BodyRequired);
        var match = BindFailure.Match(exception.Message);
        if (!match.Success) return null;
        var (type, name, rest) = (match.Groups["type"].Value, match.Groups["name"].Value, match.Groups["rest"].Value);
        if (rest.Contains("from body", StringComparison.Ordinal) || rest.Contains("request body", StringComparison.Ordinal))
            return ("body", Strictness.StrictMessages.BodyRequired);
        if (exception.Message.StartsWith("Required parameter", StringComparison.Ordinal)) return (name, Strictness.StrictMessages.ParameterRequired);
        return (name, Strictness.StrictMessages.WrongType(Describe(type)));
    }

    private static readonly System.Text.RegularExpressions.Regex ConvertedTo = new(
        "could not be converted to (?<type>[^ .]+(\\.[^ .]+)*)\\.", System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    /// <summary>Our own converters' messages are for clients (a time out of bounds); the parser's name CLR types.</summary>
    private static string JsonMessage(string message)
    {
        if (message.StartsWith("A time must lie", StringComparison.Ordinal)) return Sanitise(message.Split(" Path:")[0]);
        var converted = ConvertedTo.Match(message);
        if (!converted.Success)
            return message.Contains("ReferralNetwork", StringComparison.Ordinal) || message.Contains("System.", StringComparison.Ordinal)
                ? Strictness.StrictMessages.Unreadable : Sanitise(message.Split(" Path:")[0]);
        var type = converted.Groups["type"].Value;
        var last = type[(type.LastIndexOf('.') + 1)..];
        return last is "Guid" or "Int32" or "Int64" or "Int16" or "Byte" or "Boolean" or "DateTimeOffset" or "DateTime" or "DateOnly" or "Double" or "Decimal" or "String"
            || type.StartsWith("System.Nullable", StringComparison.Ordinal)
            ? Strictness.StrictMessages.WrongType(Describe(type)) : Strictness.StrictMessages.Unreadable;
    }

    /// <summary>"$.person.birthYear" → "person.birthYear"; "$" → "body".</summary>
    private static string JsonPath(string? path) => path is null or "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private static string Describe(string clrType) => clrType switch
    {
        _ when clrType.Contains("Guid", StringComparison.Ordinal) => Strictness.StrictMessages.KindUuid,
        _ when clrType.Contains("Int", StringComparison.Ordinal) => Strictness.StrictMessages.KindInteger,
        _ when clrType.Contains("Bool", StringComparison.Ordinal) => Strictness.StrictMessages.KindBoolean,
        _ when clrType.Contains("DateTimeOffset", StringComparison.Ordinal) || clrType.Contains("DateTime", StringComparison.Ordinal) => Strictness.StrictMessages.KindDateTime,
        _ when clrType.Contains("DateOnly", StringComparison.Ordinal) => Strictness.StrictMessages.KindDate,
        _ when clrType.Contains("Double", StringComparison.Ordinal) || clrType.Contains("Decimal", StringComparison.Ordinal) => Strictness.StrictMessages.KindNumber,
        _ => Strictness.StrictMessages.KindString,
    };

    private static string DescribeBadRequest(BadHttpRequestException exception) => Sanitise(exception.Message);

    // Parser messages may echo bytes of the input; keep them printable and short.
    private static string Sanitise(string message)
    {
        var clean = new string(message.Where(c => !char.IsControl(c)).ToArray());
        return clean.Length > 300 ? clean[..300] : clean;
    }
}
