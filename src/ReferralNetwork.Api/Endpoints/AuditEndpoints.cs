using Mediator;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Api.Endpoints;

/// <summary>Accountability for auditors (DESIGN §5–§6): network-wide, pseudonymous, never identities or free text.</summary>
public static class AuditEndpoints
{
    public static void MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/audit", "Audit");

        group.MapGet("/public-key", async (IMediator mediator, CancellationToken ct) => TypedResults.Ok(await mediator.Send(new GetAuditPublicKeyQuery(), ct)))
            .WithName("GetAuditPublicKey").WithSummary("The public key (PEM SubjectPublicKeyInfo, ECDSA P-256) that verifies checkpoint signatures, and its key id.")
            .Problems(403);

        group.MapGet("/verify", async (IMediator mediator, CancellationToken ct, bool? everyRoot = null, long? checkpoint = null, string? root = null) =>
                TypedResults.Ok(await mediator.Send(new VerifyAuditQuery(everyRoot ?? false, checkpoint, root), ct)))
            .WithName("VerifyAudit").WithSummary("Re-checks every hash chain and signed checkpoint, replays every referral's events against the trails, duties and "
                + "breaches auditors read, and checks an anchor kept outside (checkpoint and root); reports the first broken stream and seq, and why.")
            .Problems(400, 403);

        group.MapGet("/referrals/{id}/responsibility", async (Guid id, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetReferralResponsibilityQuery(id), ct)))
            .WithName("GetReferralResponsibility").WithSummary("Which organisation was responsible for the referral at every instant.")
            .Problems(403, 404);

        group.MapGet("/referrals/{id}/events", async (Guid id, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ListReferralAuditEventsQuery(id), ct)))
            .WithName("ListReferralAuditEvents").WithSummary("The referral's audit events in order, with prevHash and hash.")
            .Problems(403, 404);

        group.MapGet("/deadline-breaches", async (IMediator mediator, CancellationToken ct, Guid? organisationId = null, DateTimeOffset? from = null,
                DateTimeOffset? to = null, string? protocol = null, string? deadline = null, string? cursor = null, int? limit = null, Guid? referralId = null,
                bool? open = null) =>
                TypedResults.Ok(await mediator.Send(new ListDeadlineBreachesQuery(organisationId, from, to, protocol, deadline, cursor, limit, referralId, open), ct)))
            .WithName("ListDeadlineBreaches")
            .WithSummary("Missed deadlines network-wide: the duty, its holder (organisationId filters by it), who was responsible, how late; by referral, period, protocol, deadline, open.")
            .Problems(400, 403);

        group.MapGet("/activity", async (IMediator mediator, CancellationToken ct, Guid? organisationId = null, Guid? principalId = null, string? type = null,
                DateTimeOffset? from = null, DateTimeOffset? to = null, string? cursor = null, int? limit = null) =>
                TypedResults.Ok(await mediator.Send(new ListAuditActivityQuery(organisationId, principalId, type, from, to, cursor, limit), ct)))
            .WithName("ListAuditActivity").WithSummary("Audit events by acting organisation, principal, type and period, in global order, with keyset paging.")
            .Problems(400, 403);

        group.MapGet("/personal-data-access", async (IMediator mediator, CancellationToken ct, Guid? personId = null, string? cursor = null, int? limit = null) =>
                TypedResults.Ok(await mediator.Send(new ListPersonalDataAccessQuery(personId, cursor, limit), ct)))
            .WithName("ListPersonalDataAccess").WithSummary("Every read of a person's identity and every download of a document about them (accessed, attachmentId): who, from which organisation, through which referral, when.")
            .Problems(400, 403, 404);

        group.MapGet("/export", async (IMediator mediator, CancellationToken ct, DateTimeOffset? from = null, DateTimeOffset? to = null) =>
            {
                var export = await mediator.Send(new ExportAuditQuery(from, to), ct);
                return TypedResults.Stream(body => export.WriteToAsync(body, ct), AuditExport.ContentType, "audit-export.ndjson");
            })
            .WithName("ExportAudit").WithSummary("Events and signed checkpoints as NDJSON in global order, for verification with only the file and the public key.")
            .Produces<string>(StatusCodes.Status200OK, AuditExport.ContentType)
            .Problems(400, 403);
    }
}
