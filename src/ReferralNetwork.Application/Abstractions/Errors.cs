using ReferralNetwork.Domain;

namespace ReferralNetwork.Application.Abstractions;

/// <summary>Expected failures. One exception handler in the Api turns each into problem+json.</summary>
public abstract class ApplicationProblem(Text message) : Exception(message.ToString())
{
    /// <summary>The message with its template, for the API to say it in the caller's language.</summary>
    public Text Text { get; } = message;
}

/// <summary>404: absent, or not visible to the caller (never leak existence).</summary>
public sealed class NotFoundException(string what) : ApplicationProblem(what + " was not found.");

/// <summary>401: the credentials presented are not accepted (named by <see cref="Reason"/>, e.g. <c>invalid_credentials</c>).</summary>
public sealed class UnauthorizedException(string reason, Text message) : ApplicationProblem(message)
{
    public string Reason { get; } = reason;
}

/// <summary>403: visible, but the caller's role or party may not do this.</summary>
public sealed class ForbiddenException(Text message) : ApplicationProblem(message);

/// <summary>409: the state of the resource does not allow this now.</summary>
public sealed class ConflictException(Text message, IReadOnlyDictionary<string, object?>? extensions = null) : ApplicationProblem(message)
{
    public IReadOnlyDictionary<string, object?> Extensions { get; } = extensions ?? new Dictionary<string, object?>();
}

/// <summary>410: the resource existed and is gone for good (named by <see cref="Rule"/>).</summary>
public sealed class GoneException(string rule, Text message) : ApplicationProblem(message)
{
    public string Rule { get; } = rule;
}

/// <summary>412: the If-Match precondition failed.</summary>
public sealed class PreconditionFailedException(Text message) : ApplicationProblem(message);

/// <summary>428: a precondition header is required.</summary>
public sealed class PreconditionRequiredException(Text message) : ApplicationProblem(message);

/// <summary>422: well-formed, but a rule of the network forbids it (named by <see cref="Rule"/>).</summary>
public sealed class RuleViolationException(string rule, Text message) : ApplicationProblem(message)
{
    public string Rule { get; } = rule;
}

/// <summary>413: the content is larger than the limit for it (an attachment over <c>Attachments:MaxBytes</c>).</summary>
public sealed class PayloadTooLargeException(Text message) : ApplicationProblem(message);

/// <summary>415: the content is of a type the network does not take (judged by its bytes, not by what it is called).</summary>
public sealed class UnsupportedContentException(Text message) : ApplicationProblem(message);
