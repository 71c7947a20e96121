using Mediator;
using ReferralNetwork.Application.Features.Referrals;

namespace ReferralNetwork.Api.Endpoints;

[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(ReferralNetwork.Application.Features.Referrals.ReviewOverrideCommand))]
public sealed record OverrideReviewRequest(bool? Approved, string? Note);

[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(ReferralNetwork.Application.Features.Referrals.ConfirmGuardianCommand))]
public sealed record GuardianConfirmationRequest(bool? Confirmed, string? Note);

public static class OverrideEndpoints
{
    public static void MapOverrideEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/referrals", "Referrals");

        group.MapPost("/{id}/override-review", async (Guid id, OverrideReviewRequest body, IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                var review = await mediator.Send(new ReviewOverrideCommand(id, body.Approved, body.Note), ct);
                http.Response.Headers.ETag = ReferralEndpoints.ETag(review.Version);
                return TypedResults.Ok(review);
            })
            .WithName("ReviewOverride")
            .WithSummary("A supervisor of the referring organisation approves or rejects an emergency override of consent; rejection withdraws the referral.")
            .Problems(400, 403, 404, 409, 412, 413, 415);

        group.MapPost("/{id}/guardian-confirmation", async (Guid id, GuardianConfirmationRequest body, IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                var referral = await mediator.Send(new ConfirmGuardianCommand(id, body.Confirmed, body.Note), ct);
                http.Response.Headers.ETag = ReferralEndpoints.ETag(referral.Version);
                return TypedResults.Ok(referral);
            })
            .WithName("ConfirmGuardian")
            .WithSummary("The child's guardian centre for social work confirms or disputes the consent claimed in the guardian's name (a dispute needs a note).")
            .Problems(400, 403, 404, 409, 412, 413, 415);
    }
}
