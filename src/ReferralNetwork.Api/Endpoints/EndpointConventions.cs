namespace ReferralNetwork.Api.Endpoints;

public static class EndpointConventions
{
    /// <summary>Documents the problem+json answers an operation can give (OpenAPI shows every status).</summary>
    public static RouteHandlerBuilder Problems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses.Concat([401]).Distinct().Order())
            builder.ProducesProblem(status);
        return builder;
    }

    /// <summary>An authenticated group under /api/v1. Roles are checked per message in the pipeline.</summary>
    public static RouteGroupBuilder MapApiGroup(this IEndpointRouteBuilder app, string prefix, string tag) =>
        app.MapGroup("/api/v1" + prefix).WithTags(tag).RequireAuthorization();
}
