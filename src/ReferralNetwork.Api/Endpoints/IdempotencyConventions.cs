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
    /// List 409 and 422 among the endpoint's problems: a key still in flight, a key reused for another request (or by
    /// another API key); 410, an answer erased with its person, is added here. An endpoint whose answer concerns a person
    /// names them (<see cref="ReferralNetwork.Application.Abstractions.IdempotencyContext.Concerns"/>).
    /// </summary>
    public static RouteHandlerBuilder WithIdempotency(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new IdempotentOperation()).ProducesProblem(StatusCodes.Status410Gone);

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
            Description = "Makes a retry safe: the same key with the same request from the same API key replays the first answer; with another " +
                          "request, or from another API key, 422; while the first is running 409; once the person the answer concerned is erased 410. " +
                          "1–255 printable ASCII characters, per organisation, kept 24 hours.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 255 },
        });
    }
}
