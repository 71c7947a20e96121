using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using ReferralNetwork.Application.Features.Persons;

namespace ReferralNetwork.Api.Endpoints;

[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(ReferralNetwork.Application.Features.Persons.RecordConsentCommand))]
public sealed record RecordConsentRequest(string? GivenBy, string? Method, DateTimeOffset? GivenAt = null, ConsentScopeInput? Scope = null, Guid? ScanAttachmentId = null);

[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(ReferralNetwork.Application.Features.Persons.WithdrawConsentCommand))]
public sealed record WithdrawConsentRequest(string? Reason);

[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(ReferralNetwork.Application.Features.Persons.ErasePersonCommand))]
public sealed record ErasePersonRequest(string? Reason);

[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(ReferralNetwork.Application.Features.Persons.MergePersonCommand))]
public sealed record MergePersonRequest(Guid? DuplicateOf, string? Reason = null);

[ReferralNetwork.Api.OpenApi.ValidatedAs(typeof(ReferralNetwork.Application.Features.Persons.UndoPersonMergeCommand))]
public sealed record UndoPersonMergeRequest(string? Reason);

public static class PersonEndpoints
{
    public static void MapPersonEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/persons", "Persons");

        group.MapPost("/", async Task<Created<PersonView>> (PersonInput person, IMediator mediator, CancellationToken ct) =>
            {
                var created = await mediator.Send(new CreatePersonCommand(person), ct);
                return TypedResults.Created($"/api/v1/persons/{created.Id}", created);
            })
            .WithName("CreatePerson").WithSummary("Registers a person in the caller's organisation; the identity is encrypted under a new per-person key.")
            .Problems(400, 403, 409, 413, 415, 422);

        group.MapGet("/", async (IMediator mediator, CancellationToken ct, string? q = null, int? birthYear = null, string? nationality = null,
                string? cursor = null, int? limit = null) =>
                TypedResults.Ok(await mediator.Send(new SearchPersonsCommand(q, birthYear, nationality, cursor, limit), ct)))
            .WithName("SearchPersons")
            .WithSummary("Persons the caller's organisation may see whose name (case, diacritics, Cyrillic/Latin and spelling variants folded), phone or externalRef matches q; newest first, keyset-paged. Every identity returned is recorded in the access log.")
            .Problems(400, 403);

        group.MapPost("/matches", async (MatchPersonsQuery body, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(body, ct)))
            .WithName("MatchPersons")
            .WithSummary("Likely duplicates, among the persons the caller may see, of a person about to be created: score 0-1 with reasons (names folded and phonetic, birth year, nationality, phone). No identity is opened; reuse one with personId on submit.")
            .Problems(400, 403, 413, 415);

        group.MapGet("/{id}", async (Guid id, IMediator mediator, CancellationToken ct, Guid? referralId = null) =>
                TypedResults.Ok(await mediator.Send(new GetPersonCommand(id, referralId), ct)))
            .WithName("GetPerson").WithSummary("A person's identity, for the owning organisation or one involved in their referrals. Every call is recorded in the access log.")
            .Problems(400, 403, 404);

        group.MapPost("/{id}/consents", async Task<Created<ConsentView>> (Guid id, RecordConsentRequest body, IMediator mediator, CancellationToken ct) =>
            {
                var consent = await mediator.Send(new RecordConsentCommand(id, body.GivenBy, body.Method, body.GivenAt, body.Scope, body.ScanAttachmentId), ct);
                return TypedResults.Created($"/api/v1/persons/{id}/consents/{consent.Id}", consent);
            })
            .WithName("RecordConsent").WithSummary("Records a consent the caller's organisation obtained: who gave it, how, when, and its scope (services, organisations; empty = any).")
            .Problems(400, 403, 404, 413, 415, 422);

        group.MapGet("/{id}/consents", async (Guid id, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ListConsentsQuery(id), ct)))
            .WithName("ListConsents").WithSummary("The person's consent records, withdrawn ones included.")
            .Problems(403, 404);

        group.MapPost("/{id}/consents/{consentId}/withdraw", async (Guid id, Guid consentId, WithdrawConsentRequest body, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new WithdrawConsentCommand(id, consentId, body.Reason), ct)))
            .WithName("WithdrawConsent").WithSummary("Withdraws a consent: new referrals under its scope are refused; open referrals relying on it are told (timeline, notification).")
            .Problems(400, 403, 404, 409, 413, 415);

        group.MapPost("/{id}/erasure", async (Guid id, ErasePersonRequest body, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ErasePersonCommand(id, body.Reason), ct)))
            .WithName("ErasePerson").WithSummary("Erases a person by destroying their data key: identity, reasons and notes become unreadable; statistics and the audit trail stay.")
            .Problems(400, 403, 404, 409, 413, 415);

        group.MapPost("/{id}/merge", async (Guid id, MergePersonRequest body, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new MergePersonCommand(id, body.DuplicateOf, body.Reason), ct)))
            .WithName("MergePerson")
            .WithSummary("A supervisor merges the person (a duplicate) into duplicateOf, both of their organisation: the duplicate's referrals, consents and access log are read with the survivor's from then on. An admin can undo it for 30 days.")
            .Problems(400, 403, 404, 409, 413, 415, 422);

        group.MapPost("/{id}/merge/undo", async (Guid id, UndoPersonMergeRequest body, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new UndoPersonMergeCommand(id, body.Reason), ct)))
            .WithName("UndoPersonMerge")
            .WithSummary("The owning organisation's admin (or the network admin) separates a merged duplicate again, within 30 days of the merge.")
            .Problems(400, 403, 404, 409, 413, 415, 422);
    }
}
