namespace ReferralNetwork.Api.Endpoints;

public static class EndpointConventions
{
    /// <summary>Documents the problem+json answers an operation can give (OpenAPI shows every status).</summary>
    public static RouteHandlerBuilder Problems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses.Concat([400, 401]).Distinct().Order())
            builder.ProducesProblem(status);
        return builder;
    }

    /// <summary>An authenticated group under /api/v1. Roles are checked per message in the pipeline; times in the query and
    /// path are range-checked for every route (<see cref="TimeBoundsFilter"/>).</summary>
    public static RouteGroupBuilder MapApiGroup(this IEndpointRouteBuilder app, string prefix, string tag)
    {
        var group = app.MapGroup("/api/v1" + prefix).WithTags(tag).RequireAuthorization();
        group.AddEndpointFilter<TimeBoundsFilter>();
        return group;
    }
}
