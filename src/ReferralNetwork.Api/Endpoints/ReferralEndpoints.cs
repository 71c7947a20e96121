using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using ReferralNetwork.Application.Abstractions;
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
                Answer(http, referral);
                return TypedResults.Created($"/api/v1/referrals/{referral.Id}", referral);
            })
            .WithName("SubmitReferral").WithSummary("Submits a referral (status requested) under a protocol, with consent or an emergency override.")
            .Problems(400, 403, 409, 413, 415, 422).WithIdempotency();

        group.MapGet("/{id}", async (Guid id, IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                var referral = await mediator.Send(new GetReferralQuery(id), ct);
                http.Response.Headers.ETag = ETag(referral.Version);
                return TypedResults.Ok(referral);
            })
            .WithName("GetReferral").WithSummary("One referral the caller's organisation sent, received or observes; ETag carries its version.")
            .Problems(403, 404);

        group.MapGet("/", async (IMediator mediator, CancellationToken ct, string? box = null, string? status = null, string? urgency = null,
                string? service = null, bool? overdue = null, string? cursor = null, int? limit = null, bool? pendingReview = null, string? q = null, string? sort = null,
                Guid? personId = null) =>
                TypedResults.Ok(await mediator.Send(new ListReferralsQuery(box, status, urgency, service, overdue, cursor, limit, pendingReview, q, sort, personId), ct)))
            .WithName("ListReferrals")
            .WithSummary("A box (inbox, outbox, observing, escalated), newest first, with keyset paging (nextCursor); pendingReview=true: overrides awaiting review; q: a reference (RN-2026-004213) or the person's name or phone; sort=due: earliest open deadline first (overdue first), sort=created (default): newest first; personId: one person's referrals, with those of the duplicates merged into them.")
            .Problems(400, 403);

        group.MapGet("/counts", async (IMediator mediator, CancellationToken ct, string? box = null, string? status = null, string? urgency = null,
                string? service = null, bool? overdue = null, bool? pendingReview = null, string? q = null, Guid? personId = null) =>
                TypedResults.Ok(await mediator.Send(new CountReferralsQuery(box, status, urgency, service, overdue, pendingReview, q, personId), ct)))
            .WithName("CountReferrals")
            .WithSummary("How many referrals each box (or the one named) holds under the same filters as the list, so tabs count what they show; mine only for a signed-in person.")
            .Problems(400, 403);

        MapActions(group);

        group.MapGet("/{id}/timeline", async (Guid id, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetReferralTimelineQuery(id), ct)))
            .WithName("GetReferralTimeline").WithSummary("Every transition of a referral (codes and ids, no free text), for its parties and observers.")
            .Problems(403, 404);

        group.MapPost("/{id}/notes", async Task<Created<NoteView>> (Guid id, AddReferralNoteBody body, IMediator mediator, CancellationToken ct) =>
            {
                var note = await mediator.Send(new AddReferralNoteCommand(id, body.Text), ct);
                return TypedResults.Created($"/api/v1/referrals/{id}/notes", note);
            })
            .WithName("AddReferralNote").WithSummary("A note between referrer and receiver, stored encrypted with the person's data key. Observers may not.")
            .Problems(400, 403, 404, 413, 415, 422);

        group.MapGet("/{id}/notes", async (Guid id, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ListReferralNotesQuery(id), ct)))
            .WithName("ListReferralNotes").WithSummary("The notes of a referral, oldest first, for its referrer and receiver (observers: 403).")
            .Problems(403, 404);
    }

    /// <summary>
    /// The actions of DESIGN §4, one POST each. Every one needs If-Match with the ETag the caller decided on (missing: 428,
    /// stale: 412) and answers the referral as it is now, with its new ETag. A refused transition is 409 (or 403 for the
    /// other party's move) with allowedActions in the problem body.
    /// </summary>
    private static void MapActions(RouteGroupBuilder group)
    {
        int[] noBody = [400, 403, 404, 409, 412, 428];
        int[] withBody = [400, 403, 404, 409, 412, 413, 415, 422, 428];

        group.MapPost("/{id}/acknowledge", (Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, [FromBody] Strictness.EmptyBody? body, IMediator mediator, HttpContext http, CancellationToken ct) =>
                Act(new AcknowledgeReferralCommand(id, ifMatch), mediator, http, ct))
            .WithName("AcknowledgeReferral").WithSummary("The receiver confirms receipt (requested → received); stops the acknowledge deadline. Body: nothing or {}.")
            .Problems(noBody).WithIdempotency();

        group.MapPost("/{id}/accept", (Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, [FromBody] Strictness.EmptyBody? body, IMediator mediator, HttpContext http, CancellationToken ct) =>
                Act(new AcceptReferralCommand(id, ifMatch), mediator, http, ct))
            .WithName("AcceptReferral").WithSummary("The receiver takes the referral on (→ accepted) and becomes responsible; sets followUpBy. Body: nothing or {}.")
            .Problems(noBody).WithIdempotency();

        group.MapPost("/{id}/decline", (Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, DeclineReferralBody body, IMediator mediator, HttpContext http,
                CancellationToken ct) => Act(new DeclineReferralCommand(id, ifMatch, body.ReasonCode, body.Note), mediator, http, ct))
            .WithName("DeclineReferral").WithSummary("The receiver declines (→ rejected) with a reason code; a note is required for 'other'.")
            .Problems(withBody).WithIdempotency();

        group.MapPost("/{id}/redirect", (Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, RedirectReferralBody body, IMediator mediator, HttpContext http,
                CancellationToken ct) => Act(new RedirectReferralCommand(id, ifMatch, body.TargetOrganisationId, body.Note), mediator, http, ct))
            .WithName("RedirectReferral").WithSummary("The receiver forwards the referral (→ redirected) and submits the onward referral to the target in the same step.")
            .Problems(withBody).WithIdempotency();

        // Issue 16: who holds the case on the caller's side.
        group.MapPost("/{id}/assign", (Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, AssignReferralBody body, IMediator mediator, HttpContext http,
                CancellationToken ct) => Act(new AssignReferralCommand(id, ifMatch, body.UserId), mediator, http, ct))
            .WithName("AssignReferral").WithSummary("A supervisor assigns (or reassigns) a caseworker or supervisor of their own side to the referral.")
            .Problems(withBody).WithIdempotency();

        group.MapPost("/{id}/take", (Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, [FromBody] Strictness.EmptyBody? body, IMediator mediator, HttpContext http, CancellationToken ct) =>
                Act(new TakeReferralCommand(id, ifMatch), mediator, http, ct))
            .WithName("TakeReferral").WithSummary("A person signed in takes the referral on their side (assigns themself). Body: nothing or {}.")
            .Problems(noBody).WithIdempotency();

        group.MapPost("/{id}/unassign", (Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, [FromBody] Strictness.EmptyBody? body, IMediator mediator, HttpContext http, CancellationToken ct) =>
                Act(new UnassignReferralCommand(id, ifMatch), mediator, http, ct))
            .WithName("UnassignReferral").WithSummary("Nobody holds the referral on the caller's side any more (a supervisor, or the assignee). Body: nothing or {}.")
            .Problems(noBody).WithIdempotency();

        group.MapPost("/{id}/start", (Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, [FromBody] Strictness.EmptyBody? body, IMediator mediator, HttpContext http, CancellationToken ct) =>
                Act(new StartReferralCommand(id, ifMatch), mediator, http, ct))
            .WithName("StartReferral").WithSummary("The receiver begins the service (accepted → in-progress). Body: nothing or {}.")
            .Problems(noBody).WithIdempotency();

        group.MapPost("/{id}/hold", (Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, ReferralReasonBody body, IMediator mediator, HttpContext http,
                CancellationToken ct) => Act(new HoldReferralCommand(id, ifMatch, body.Reason), mediator, http, ct))
            .WithName("HoldReferral").WithSummary("The receiver pauses the service (→ on-hold); the reason is stored as a note.")
            .Problems(withBody).WithIdempotency();

        group.MapPost("/{id}/resume", (Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, [FromBody] Strictness.EmptyBody? body, IMediator mediator, HttpContext http, CancellationToken ct) =>
                Act(new ResumeReferralCommand(id, ifMatch), mediator, http, ct))
            .WithName("ResumeReferral").WithSummary("The receiver resumes the service (on-hold → in-progress). Body: nothing or {}.")
            .Problems(noBody).WithIdempotency();

        group.MapPost("/{id}/complete", (Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, CompleteReferralBody body, IMediator mediator, HttpContext http,
                CancellationToken ct) => Act(new CompleteReferralCommand(id, ifMatch, body.Outcome, body.Note), mediator, http, ct))
            .WithName("CompleteReferral").WithSummary("The receiver closes the loop with an outcome (→ completed or failed); the note is for the referrer.")
            .Problems(withBody).WithIdempotency();

        group.MapPost("/{id}/steps/{code}", (Guid id, string code, [FromHeader(Name = "If-Match")] string? ifMatch, RecordReferralStepBody? body, IMediator mediator,
                HttpContext http, CancellationToken ct) => Act(new RecordReferralStepCommand(id, ifMatch, code, body?.Note), mediator, http, ct))
            .WithName("RecordReferralStep")
            .WithSummary("The receiver records a step of the pinned protocol as done, with an optional note (409: unknown or already done step).")
            .Problems(withBody).WithIdempotency();

        group.MapPost("/{id}/withdraw", (Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, ReferralReasonBody body, IMediator mediator, HttpContext http,
                CancellationToken ct) => Act(new WithdrawReferralCommand(id, ifMatch, body.Reason), mediator, http, ct))
            .WithName("WithdrawReferral").WithSummary("The referrer withdraws a referral that is not final (→ cancelled), giving a reason.")
            .Problems(withBody).WithIdempotency();
    }

    private static async Task<Ok<ReferralView>> Act(ICommand<ReferralView> command, IMediator mediator, HttpContext http, CancellationToken ct)
    {
        var referral = await mediator.Send(command, ct);
        Answer(http, referral);
        return TypedResults.Ok(referral);
    }

    /// <summary>
    /// The ETag of the answer, and — for a request with an Idempotency-Key — the person it concerns, so that the stored
    /// answer (which may hold the referral's reason and the person's initials) goes when the person is erased.
    /// </summary>
    private static void Answer(HttpContext http, ReferralView referral)
    {
        http.Response.Headers.ETag = ETag(referral.Version);
        http.RequestServices.GetRequiredService<IdempotencyContext>().Concerns(referral.Person.Id);
    }

    public static string ETag(int version) => ReferralETag.Of(version);
}

/// <summary>Body of <c>POST /referrals/{id}/decline</c>: reasonCode is one of no_capacity, not_eligible, service_not_offered, client_unreachable, duplicate, other.</summary>
[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(DeclineReferralCommand))]
public sealed record DeclineReferralBody(string? ReasonCode, string? Note);

/// <summary>Body of <c>POST /referrals/{id}/complete</c>: outcome is one of service_provided, partially_provided (→ completed), client_declined, lost_contact, client_moved, not_eligible (→ failed).</summary>
[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(CompleteReferralCommand))]
public sealed record CompleteReferralBody(string? Outcome, string? Note);

/// <summary>Body of <c>POST /referrals/{id}/redirect</c>.</summary>
[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(RedirectReferralCommand))]
public sealed record RedirectReferralBody(Guid? TargetOrganisationId, string? Note);

/// <summary>Body of <c>POST /referrals/{id}/hold</c> and <c>/withdraw</c>.</summary>
[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(WithdrawReferralCommand))]
public sealed record ReferralReasonBody(string? Reason);

/// <summary>Body of <c>POST /referrals/{id}/assign</c>: the person (a user id of the caller's organisation) who holds the case.</summary>
public sealed record AssignReferralBody(Guid? UserId);

/// <summary>Body of <c>POST /referrals/{id}/notes</c>.</summary>
[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(AddReferralNoteCommand))]
public sealed record AddReferralNoteBody(string? Text);
