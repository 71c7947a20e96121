using System.Reflection;
using FluentValidation;
using FluentValidation.Results;
using ReferralNetwork.Application.Features.Common;

namespace ReferralNetwork.Api.Endpoints;

/// <summary>
/// Every time a route takes from its query or path (<c>from</c>, <c>to</c> of the audit lists and the export, …) is
/// range-checked here, once for all routes, before any handler can compute with it: outside <see cref="TimeBounds"/> it
/// is a 400 naming the parameter. Times in bodies are checked by <see cref="UtcTimeConverter"/>; the statistics period,
/// which also takes plain dates, by its own parser.
/// </summary>
public sealed class TimeBoundsFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var parameters = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<MethodInfo>()?.GetParameters();
        List<ValidationFailure>? failures = null;
        for (var i = 0; i < context.Arguments.Count; i++)
        {
            if (context.Arguments[i] is DateTimeOffset time && !TimeBounds.Contains(time))
                (failures ??= []).Add(ReferralNetwork.Application.Features.Common.Failures.Of(parameters is { } p && i < p.Length ? p[i].Name ?? $"argument {i}" : $"argument {i}",
                    $"A time must lie {TimeBounds.Description}."));
        }
        if (failures is not null) throw new ValidationException(failures);
        return next(context);
    }
}
