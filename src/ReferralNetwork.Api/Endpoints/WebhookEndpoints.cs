using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using ReferralNetwork.Application.Features.Webhooks;

namespace ReferralNetwork.Api.Endpoints;

public static class WebhookEndpoints
{
    public static void MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/webhooks", "Webhooks");

        group.MapPost("/", async Task<Created<CreatedWebhookView>> (CreateWebhookCommand command, IMediator mediator, CancellationToken ct) =>
            {
                var webhook = await mediator.Send(command, ct);
                return TypedResults.Created($"/api/v1/webhooks/{webhook.Id}", webhook);
            })
            .WithName("CreateWebhook")
            .WithSummary("Subscribes the caller's organisation to referral events (empty events: all); the signing secret is in this answer only.")
            .Problems(400, 403, 413, 415, 422);

        group.MapGet("/", async (IMediator mediator, CancellationToken ct, string? cursor = null, int? limit = null) =>
                TypedResults.Ok(await mediator.Send(new ListWebhooksQuery(cursor, limit), ct)))
            .WithName("ListWebhooks").WithSummary("The caller's organisation's webhook subscriptions, without secrets, oldest first with keyset paging (nextCursor).")
            .Problems(400, 403);

        group.MapGet("/{id}", async (Guid id, IMediator mediator, CancellationToken ct) => TypedResults.Ok(await mediator.Send(new GetWebhookQuery(id), ct)))
            .WithName("GetWebhook").WithSummary("One webhook subscription of the caller's organisation.")
            .Problems(403, 404);

        group.MapDelete("/{id}", async (Guid id, IMediator mediator, CancellationToken ct) =>
            {
                await mediator.Send(new DeleteWebhookCommand(id), ct);
                return TypedResults.NoContent();
            })
            .WithName("DeleteWebhook").WithSummary("Ends a subscription: nothing more is sent to it and its waiting deliveries are cancelled.")
            .Problems(403, 404);

        group.MapGet("/{id}/deliveries", async (Guid id, IMediator mediator, CancellationToken ct, string? cursor = null, int? limit = null) =>
                TypedResults.Ok(await mediator.Send(new ListWebhookDeliveriesQuery(id, cursor, limit), ct)))
            .WithName("ListWebhookDeliveries")
            .WithSummary("A subscription's deliveries, newest first with keyset paging (nextCursor), each with every attempt: status code, duration, error, next attempt.")
            .Problems(400, 403, 404);

        group.MapPost("/{id}/deliveries/{deliveryId}/redeliver", async Task<Accepted<WebhookDeliveryView>> (Guid id, Guid deliveryId, IMediator mediator, CancellationToken ct) =>
                TypedResults.Accepted($"/api/v1/webhooks/{id}/deliveries", await mediator.Send(new RedeliverWebhookCommand(id, deliveryId), ct)))
            .WithName("RedeliverWebhook")
            .WithSummary("Sends a delivery again with a fresh retry schedule and the same webhook-id; the dispatcher picks it up within seconds.")
            .Problems(403, 404, 409);
    }
}
