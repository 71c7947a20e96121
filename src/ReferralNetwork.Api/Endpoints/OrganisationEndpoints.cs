using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using ReferralNetwork.Application.Features.ApiKeys;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Organisations;

namespace ReferralNetwork.Api.Endpoints;

[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(UpdateOrganisationCommand))]
public sealed record UpdateOrganisationRequest(string? Name = null, string? Municipality = null, IReadOnlyList<string>? Services = null,
    IReadOnlyList<string>? Languages = null, int? Capacity = null, string? ContactEmail = null, string? ContactPhone = null, bool? Active = null,
    bool? RequireSecondFactor = null);

/// <summary>Body of <c>POST /organisations/{id}/api-keys</c>: <c>expiresAt</c> (optional, in the future) ends the key by itself.</summary>
[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(CreateApiKeyCommand))]
public sealed record CreateApiKeyRequest(string? Name, IReadOnlyList<string>? Roles, DateTimeOffset? ExpiresAt = null);

public static class OrganisationEndpoints
{
    public static void MapOrganisationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/organisations", "Organisations");

        group.MapGet("/", async (IMediator mediator, CancellationToken ct, string? kind = null, string? municipality = null, string? service = null,
                string? language = null, bool? active = null, string? q = null, string? cursor = null, int? limit = null) =>
                TypedResults.Ok(await mediator.Send(new ListOrganisationsQuery(kind, municipality, service, language, active, q, cursor, limit), ct)))
            .WithName("ListOrganisations").WithSummary("The network directory, filtered by kind, municipality, service and language.")
            .Problems(400, 403);

        group.MapPost("/", async Task<Created<OrganisationView>> (CreateOrganisationCommand command, IMediator mediator, CancellationToken ct) =>
            {
                var organisation = await mediator.Send(command, ct);
                return TypedResults.Created($"/api/v1/organisations/{organisation.Id}", organisation);
            })
            .WithName("CreateOrganisation").WithSummary("Adds an organisation to the network (network admin).")
            .Problems(400, 403, 413, 415);

        group.MapGet("/{id}", async (Guid id, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetOrganisationQuery(id), ct)))
            .WithName("GetOrganisation").WithSummary("One organisation of the directory.")
            .Problems(403, 404);

        group.MapPatch("/{id}", async (Guid id, UpdateOrganisationRequest body, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new UpdateOrganisationCommand(id, body.Name, body.Municipality, body.Services, body.Languages,
                    body.Capacity, body.ContactEmail, body.ContactPhone, body.Active, body.RequireSecondFactor), ct)))
            .WithName("UpdateOrganisation").WithSummary("Changes an organisation's profile (its own org admin, or the network admin).")
            .Problems(400, 403, 404, 413, 415);

        group.MapPost("/{id}/api-keys", async Task<Created<CreatedApiKeyView>> (Guid id, CreateApiKeyRequest body, IMediator mediator, CancellationToken ct) =>
            {
                var key = await mediator.Send(new CreateApiKeyCommand(id, body.Name, body.Roles, body.ExpiresAt), ct);
                return TypedResults.Created($"/api/v1/organisations/{id}/api-keys", key);
            })
            .WithName("CreateApiKey").WithSummary("Creates an API key with roles and an optional expiry; the secret is in this answer only. " +
                "The network admin creates only network_admin and auditor keys and an organisation's first org_admin key.")
            .Problems(400, 403, 404, 413, 415, 422);

        group.MapGet("/{id}/api-keys", async (Guid id, IMediator mediator, CancellationToken ct, string? cursor = null, int? limit = null) =>
                TypedResults.Ok(await mediator.Send(new ListApiKeysQuery(id, cursor, limit), ct)))
            .WithName("ListApiKeys").WithSummary("The organisation's API keys, without secrets, oldest first with keyset paging (nextCursor).")
            .Problems(400, 403, 404);

        app.MapApiGroup("/api-keys", "Organisations")
            .MapDelete("/{id}", async (Guid id, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new RevokeApiKeyCommand(id), ct)))
            .WithName("RevokeApiKey").WithSummary("Revokes an API key; it fails from its next request on.")
            .Problems(403, 404);
    }
}
