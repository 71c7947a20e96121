using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Referrals;

namespace ReferralNetwork.Api.Endpoints;

public static class ReferralEndpoints
{
    public static void MapReferralEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/referrals", "Referrals");

        group.MapPost("/", async Task<Created<ReferralView>> (SubmitReferralCommand command, IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                var referral = await mediator.Send(command, ct);
                http.Response.Headers.ETag = ETag(referral.Version);
                return TypedResults.Created($"/api/v1/referrals/{referral.Id}", referral);
            })
            .WithName("SubmitReferral").WithSummary("Submits a referral (status requested) under a protocol, with consent or an emergency override.")
            .Problems(400, 403, 409, 413, 415, 422).WithIdempotency();

        group.MapGet("/{id:guid}", async (Guid id, IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                var referral = await mediator.Send(new GetReferralQuery(id), ct);
                http.Response.Headers.ETag = ETag(referral.Version);
                return TypedResults.Ok(referral);
            })
            .WithName("GetReferral").WithSummary("One referral the caller's organisation sent, received or observes; ETag carries its version.")
            .Problems(403, 404);

        group.MapGet("/", async (IMediator mediator, CancellationToken ct, string? box = null, string? status = null, string? urgency = null,
                string? service = null, bool? overdue = null, string? cursor = null, int? limit = null) =>
                TypedResults.Ok(await mediator.Send(new ListReferralsQuery(box, status, urgency, service, overdue, cursor, limit), ct)))
            .WithName("ListReferrals").WithSummary("A box (inbox, outbox, observing), newest first, with keyset paging (nextCursor).")
            .Problems(400, 403);
    }

    public static string ETag(int version) => $"\"{version}\"";
}
