using Microsoft.OpenApi;
using ReferralNetwork.Api.Idempotency;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ReferralNetwork.Api.Endpoints;

/// <summary>Endpoint metadata: this operation honours an <c>Idempotency-Key</c> header.</summary>
public sealed class IdempotentOperation;

public static class IdempotencyConventions
{
    /// <summary>
    /// Lets clients retry this POST safely with an <c>Idempotency-Key</c> header (see <see cref="IdempotencyMiddleware"/>).
    /// The endpoint must send at most one command: its transaction is committed together with the stored answer.
    /// List 409 and 422 among the endpoint's problems: a key still in flight, a key reused for another request.
    /// </summary>
    public static RouteHandlerBuilder WithIdempotency(this RouteHandlerBuilder builder) => builder.WithMetadata(new IdempotentOperation());

    /// <summary>Place after authentication and authorization: keys are scoped to the caller's organisation.</summary>
    public static IApplicationBuilder UseIdempotency(this IApplicationBuilder app) => app.UseMiddleware<IdempotencyMiddleware>();
}

/// <summary>Documents the optional <c>Idempotency-Key</c> header on every operation marked with <see cref="IdempotencyConventions.WithIdempotency"/>.</summary>
public sealed class IdempotencyKeyOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IdempotentOperation>().Any()) return;
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = IdempotencyMiddleware.Header,
            In = ParameterLocation.Header,
            Required = false,
            Description = "Makes a retry safe: the same key with the same request replays the first answer; with another request 422; " +
                          "while the first is running 409. 1–255 printable ASCII characters, per organisation, kept 24 hours.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255 },
        });
    }
}
