using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Api.Endpoints;

/// <summary>
/// The transparency log over every audit event (issue 19): its signed tree head as a C2SP checkpoint, RFC 9162
/// inclusion and consistency proofs, and receipts (c2sp.org/tlog-proof). Hashes and sizes only, for every role.
/// </summary>
public static class AuditLogEndpoints
{
    public const string NoteContentType = "text/plain; charset=utf-8";

    public static void MapAuditLogEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/audit", "Audit");

        group.MapGet("/log", async (IMediator mediator, CancellationToken ct) => TypedResults.Ok(await mediator.Send(new GetTransparencyLogQuery(), ct)))
            .WithName("GetAuditLog").WithSummary("The transparency log: origin, verifier key (vkey), size, newest signed head and which witnesses cosigned it.")
            .Problems(403);

        group.MapGet("/log/checkpoint", async (IMediator mediator, CancellationToken ct) =>
                TypedResults.Text((await mediator.Send(new GetLogCheckpointQuery(), ct)).Note, NoteContentType))
            .WithName("GetAuditLogCheckpoint")
            .WithSummary("The newest signed tree head: a C2SP tlog-checkpoint signed note (origin, size, root) with the log's Ed25519 signature and every witness cosignature.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .Problems(403, 404);

        group.MapGet("/log/proof/inclusion", async (IMediator mediator, CancellationToken ct, long? index = null, long? size = null) =>
                TypedResults.Ok(await mediator.Send(new GetInclusionProofQuery(index, size), ct)))
            .WithName("GetAuditLogInclusionProof")
            .WithSummary("RFC 9162 inclusion proof of the leaf at index in the tree of size leaves (size at most the newest signed size); hashes base64, leaf's sibling first.")
            .Problems(400, 403);

        group.MapGet("/log/proof/consistency", async (IMediator mediator, CancellationToken ct, long? from = null, long? to = null) =>
                TypedResults.Ok(await mediator.Send(new GetConsistencyProofQuery(from, to), ct)))
            .WithName("GetAuditLogConsistencyProof")
            .WithSummary("RFC 9162 consistency proof from tree size from to tree size to (to at most the newest signed size); empty from 0 or when from = to.")
            .Problems(400, 403);

        group.MapGet("/receipts/{eventId}", async Task<Results<ContentHttpResult, Accepted<AuditReceiptView>>> (long eventId, IMediator mediator, HttpContext http,
                CancellationToken ct) =>
            {
                var receipt = await mediator.Send(new GetAuditReceiptQuery(eventId), ct);
                if (receipt.Proof is { } proof)
                {
                    http.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-event-{eventId}.tlog-proof\"";
                    return TypedResults.Text(proof, NoteContentType);
                }
                http.Response.Headers.RetryAfter = "60";
                return TypedResults.Accepted((string?)null, receipt);
            })
            .WithName("GetAuditReceipt")
            .WithSummary("The receipt of an audit event: a c2sp.org/tlog-proof (index, inclusion proof, cosigned checkpoint; the event in its extra line) once a checkpoint covering it is cosigned; 202 with the log index until then.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .Problems(403, 404);
    }
}
