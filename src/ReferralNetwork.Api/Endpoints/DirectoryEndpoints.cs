using Mediator;
using ReferralNetwork.Application.Features.Me;
using ReferralNetwork.Application.Features.Services;

namespace ReferralNetwork.Api.Endpoints;

public static class DirectoryEndpoints
{
    public static void MapDirectoryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapApiGroup("/me", "Directory")
            .MapGet("/", async (IMediator mediator, CancellationToken ct) => TypedResults.Ok(await mediator.Send(new GetMeQuery(), ct)))
            .WithName("GetMe").WithSummary("Who the key belongs to: principal, roles and organisation.")
            .Problems(403);

        app.MapApiGroup("/services", "Directory")
            .MapGet("/", async (IMediator mediator, CancellationToken ct) => TypedResults.Ok(await mediator.Send(new ListServicesQuery(), ct)))
            .WithName("ListServices").WithSummary("The service catalogue, with English and Serbian names.")
            .Problems(403);
    }
}
