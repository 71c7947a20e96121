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
        var (status, title, detail, extensions) = Map(exception);
        if (status == 500) logger.LogError(exception, "Unhandled exception on {Method} {Path}", context.Request.Method, context.Request.Path);
        context.Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title, Detail = detail, Type = ProblemTypes.For(status) };
        foreach (var (key, value) in extensions) problem.Extensions[key] = value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    public static (int Status, string Title, string? Detail, IReadOnlyDictionary<string, object?> Extensions) Map(Exception exception) => exception switch
    {
        ValidationException v => (400, "The request is not valid.", "See errors for each field.",
            new Dictionary<string, object?> { ["errors"] = v.Errors.GroupBy(e => FieldName(e.PropertyName)).ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).Distinct().ToArray()) }),
        BadHttpRequestException b => (b.StatusCode, b.StatusCode switch { 413 => "The request body is too large.", 415 => "Unsupported media type.", _ => "The request could not be read." },
            DescribeBadRequest(b), NoExtensions),
        UnauthorizedException u => (401, "Unauthorized", u.Message, new Dictionary<string, object?> { ["reason"] = u.Reason }),
        NotFoundException n => (404, "Not found.", n.Message, NoExtensions),
        ForbiddenException f => (403, "Forbidden.", f.Message, NoExtensions),
        ConflictException c => (409, "Conflict.", c.Message, c.Extensions),
        GoneException g => (410, "Gone.", g.Message, new Dictionary<string, object?> { ["rule"] = g.Rule }),
        PreconditionFailedException p => (412, "Precondition failed.", p.Message, NoExtensions),
        PreconditionRequiredException p => (428, "Precondition required.", p.Message, NoExtensions),
        RuleViolationException r => (422, "A rule of the network forbids this.", r.Message, new Dictionary<string, object?> { ["rule"] = r.Rule }),
        // DESIGN §4: a refused transition lists what the caller's party may do instead (wire codes).
        IllegalTransitionException t => (409, "The referral's status does not allow this action.", t.Message, Refusal(t)),
        WrongPartyException w => (403, "This action belongs to the other party.", w.Message, Refusal(w)),
        DomainConflictException c => (409, "Conflict.", c.Message, NoExtensions),
        DomainForbiddenException f => (403, "Forbidden.", f.Message, NoExtensions),
        DomainRuleException r => (422, "A rule of the network forbids this.", r.Message, new Dictionary<string, object?>(r.Details) { ["rule"] = r.Rule }),
        _ => (500, "An unexpected error occurred.", "The error was logged; quote the traceId when reporting it.", NoExtensions),
    };

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

    private static string DescribeBadRequest(BadHttpRequestException exception)
    {
        for (Exception? inner = exception; inner is not null; inner = inner.InnerException)
            if (inner is JsonException json)
                return $"The body is not valid JSON for this operation{(json.Path is { Length: > 1 } path ? $" at '{path}'" : "")}: {Sanitise(json.Message)}";
        return Sanitise(exception.Message);
    }

    // Parser messages may echo bytes of the input; keep them printable and short.
    private static string Sanitise(string message)
    {
        var clean = new string(message.Where(c => !char.IsControl(c)).ToArray());
        return clean.Length > 300 ? clean[..300] : clean;
    }
}
