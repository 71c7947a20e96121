using Mediator;
using ReferralNetwork.Application.Features.Persons;

namespace ReferralNetwork.Api.Endpoints;

public static class PersonEndpoints
{
    public static void MapPersonEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/persons", "Persons");

        group.MapGet("/{id:guid}", async (Guid id, IMediator mediator, CancellationToken ct, Guid? referralId = null) =>
                TypedResults.Ok(await mediator.Send(new GetPersonCommand(id, referralId), ct)))
            .WithName("GetPerson").WithSummary("A person's identity, for the owning organisation or one involved in their referrals. Every call is recorded in the access log.")
            .Problems(400, 403, 404);
    }
}
