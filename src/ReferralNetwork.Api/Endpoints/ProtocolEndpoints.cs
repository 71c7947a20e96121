using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using ReferralNetwork.Application.Features.Protocols;

namespace ReferralNetwork.Api.Endpoints;

public static class ProtocolEndpoints
{
    public static void MapProtocolEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/protocols", "Protocols");

        group.MapGet("/", async (IMediator mediator, CancellationToken ct) => TypedResults.Ok(await mediator.Send(new ListProtocolsQuery(), ct)))
            .WithName("ListProtocols").WithSummary("The latest version of every protocol.")
            .Problems(403);

        group.MapGet("/{code}", async (string code, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetProtocolQuery(code), ct)))
            .WithName("GetProtocol").WithSummary("A protocol's latest version, with the list of all its versions.")
            .Problems(403, 404);

        group.MapGet("/{code}/versions/{version}", async (string code, int version, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetProtocolVersionQuery(code, version), ct)))
            .WithName("GetProtocolVersion").WithSummary("One published version, as referrals pinned to it follow it.")
            .Problems(403, 404);

        group.MapPost("/", async Task<Created<ProtocolVersionView>> (PublishProtocolCommand command, IMediator mediator, CancellationToken ct) =>
            {
                var published = await mediator.Send(command, ct);
                return TypedResults.Created($"/api/v1/protocols/{published.Code}/versions/{published.Version}", published);
            })
            .WithName("PublishProtocol").WithSummary("Publishes a protocol document as the next version of its code (network admin). Versions are immutable.")
            .Problems(400, 403, 409, 413, 415, 422)
            .WithIdempotency();
    }
}
