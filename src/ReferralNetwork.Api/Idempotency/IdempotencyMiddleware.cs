using System.Security.Cryptography;
using System.Text;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.AspNetCore.Http.Features;
using ReferralNetwork.Api.Endpoints;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Idempotency;

namespace ReferralNetwork.Api.Idempotency;

/// <summary>
/// The <c>Idempotency-Key</c> request header (IETF draft-ietf-httpapi-idempotency-key-header-07) for endpoints marked
/// with <see cref="IdempotencyConventions.WithIdempotency"/>. The header is optional; with it:
/// <list type="bullet">
/// <item>A key is 1–255 printable ASCII characters (the draft's sf-string; a quoted form is unquoted), else 400.
///   Keys are scoped to the caller's organisation and remembered for <c>Idempotency:Lifetime</c> (24 h).</item>
/// <item>The request's fingerprint is SHA-256 over method, path and the exact body bytes (for a streamed document upload,
///   over the headers that describe the body: <see cref="StreamedFingerprint"/>).</item>
/// <item>Same key, same fingerprint, first request completed: its status, body, ETag and Location are replayed
///   (with <c>Idempotent-Replayed: true</c>). Same key, other fingerprint: 422. First request still running: 409.</item>
/// </list>
/// Atomicity: the key row is claimed (<c>in_flight</c>) in the command's unit of work when the command starts (after its
/// role check and validation: the writer's turn is not held while the body is bound), before the handler runs in that
/// same unit; the answer is rendered into a buffer, stored on the key row in it, and only then committed and sent. So an
/// effect is never committed without its answer, and no claim is committed without both (issue 20: no second commit per
/// keyed request). A concurrent twin in the same process takes the writer's turn after the first and finds its answer
/// (replayed once the batch holding it committed); from another transaction its insert waits for the first to end and
/// then replays the answer. 409 is left for a row still in flight when read.
/// Failures are not stored: a 4xx/5xx answer means the unit rolled back and nothing happened, the claim with it, so a
/// retry (say with a corrected body) runs afresh — storing a refusal would pin a transient one
/// (receiver inactive, a conflict since resolved) to the key for a day. The draft allows either; we store successes only.
/// A replay is answered before the command's handler and its visibility checks run, so it is answered only to the principal
/// (the API key) that made the request: another key of the organisation — an org admin, an auditor — gets 422 even with a
/// byte-identical request, because the stored answer may carry what that key may not read (a referral's reason).
/// An answer about a person is linked to them (<see cref="IdempotencyContext.Concerns"/>); erasing the person purges it,
/// and a replay after that is 410 Gone: the request was carried out, its answer no longer exists.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";

    public async Task InvokeAsync(HttpContext context, ICurrentPrincipal current)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IdempotentOperation>() is null
            || !context.Request.Headers.TryGetValue(Header, out var values) || current.Principal is not { } principal)
        {
            await next(context);
            return;
        }
        // Resolved only for requests that carry a key: the store needs the master key, which most requests never touch.
        var store = context.RequestServices.GetRequiredService<IdempotencyStore>();
        var idempotency = context.RequestServices.GetRequiredService<IdempotencyContext>();
        var key = ParseKey(values) ?? throw new ValidationException(
            [new ValidationFailure("idempotencyKey", "The Idempotency-Key header is one value of 1 to 255 printable ASCII characters.")]);
        var ct = context.RequestAborted;
        var operation = new string($"{context.Request.Method} {context.Request.Path}".Where(c => !char.IsControl(c)).Take(200).ToArray());
        var fingerprint = context.GetEndpoint()!.Metadata.GetMetadata<StreamedBody>() is null
            ? await FingerprintAsync(context.Request, ct)
            : StreamedFingerprint(context.Request);

        // The claim, the command and the stored answer are one unit of work, begun when the command starts (the
        // transaction behaviour claims the key in it first): a claim is never committed without its answer, and a
        // request that fails leaves no trace of its key (the rollback takes the claim with it).
        DateTimeOffset? token = null;
        idempotency.Begin(async claimCt =>
        {
            var claim = await store.ClaimAsync(principal.OrganisationId, principal.Id, key, operation, fingerprint, claimCt);
            if (claim is not IdempotencyClaim.Owned owned) throw new IdempotencyKeySettled(claim);
            token = owned.Token;
        });
        var original = context.Features.Get<IHttpResponseBodyFeature>()!;
        using var buffer = new MemoryStream();
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(buffer));
        IdempotencyClaim? settled = null;
        try
        {
            try
            {
                await next(context);
            }
            catch (IdempotencyKeySettled e)
            {
                settled = (IdempotencyClaim)e.Outcome;
            }
            if (settled is not null)
            {
                // Nothing was written, but the row this answer rests on may belong to a batch that has not committed
                // yet (a twin in the same shared transaction): the answer waits until it has.
                if (idempotency.Held is { } empty) await empty.CommitAsync(ct);
            }
            else if (context.Response.StatusCode is >= 200 and < 300 && idempotency.Held is { } work && token is { } owned)
            {
                var response = new StoredResponse(context.Response.StatusCode, Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length),
                    NullIfEmpty(context.Response.Headers.ETag), NullIfEmpty(context.Response.Headers.Location), idempotency.PersonId);
                if (!await store.CompleteAsync(principal.OrganisationId, key, owned, response, CancellationToken.None))
                    throw new ConflictException("This request took longer than the idempotency lock; a retry with the same key took over, so this one was undone.");
                await work.CommitAsync(ct);
            }
        }
        finally
        {
            context.Features.Set(original);
            var held = idempotency.Held;
            idempotency.End();
            // A refusal or a failure: the command, the claim and everything else of the request are undone together
            // (a no-op after a commit above).
            if (held is not null) await held.RollbackAsync();
        }
        switch (settled)
        {
            case null:
                buffer.Position = 0;
                await buffer.CopyToAsync(context.Response.Body, ct);
                return;
            case IdempotencyClaim.OtherPrincipal:
                throw new RuleViolationException("idempotency.key_reused",
                    "This Idempotency-Key was already used by another API key of your organisation; use a new key for a new request.");
            case IdempotencyClaim.Erased:
                throw new GoneException("idempotency.answer_erased",
                    "The request with this Idempotency-Key was carried out, but the person its answer concerned has been erased since, and the answer with them.");
            case IdempotencyClaim.Completed completed:
                await ReplayAsync(context, completed.Response, ct);
                return;
            case IdempotencyClaim.Mismatch:
                throw new RuleViolationException("idempotency.key_reused",
                    "This Idempotency-Key was already used for a different request (method, path or body); use a new key for a new request.");
            default:
                throw new ConflictException("A request with this Idempotency-Key is still being processed; retry in a moment.");
        }
    }

    private static async Task ReplayAsync(HttpContext context, StoredResponse response, CancellationToken ct)
    {
        context.Response.StatusCode = response.Status;
        if (response.ETag is not null) context.Response.Headers.ETag = response.ETag;
        if (response.Location is not null) context.Response.Headers.Location = response.Location;
        context.Response.Headers[ReplayedHeader] = "true";
        if (response.Body is { Length: > 0 } body)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(body, Encoding.UTF8, ct);
        }
    }

    /// <summary>The key, or null when the header is repeated, empty, too long or not printable ASCII.</summary>
    public static string? ParseKey(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count != 1 || values[0] is not { } raw) return null;
        var key = raw.Trim();
        // The draft defines the header as a Structured Field string ("…" with \" and \\ escapes); the bare form most
        // clients send is accepted too.
        if (key.Length >= 2 && key[0] == '"' && key[^1] == '"') key = Unquote(key[1..^1]);
        return key is { Length: >= 1 and <= 255 } && key.All(c => c is >= ' ' and <= '~') ? key : null;
    }

    private static string? Unquote(string quoted)
    {
        var text = new StringBuilder(quoted.Length);
        for (var i = 0; i < quoted.Length; i++)
        {
            if (quoted[i] == '"') return null;
            if (quoted[i] == '\\')
            {
                if (++i == quoted.Length || quoted[i] is not ('"' or '\\')) return null;
            }
            text.Append(quoted[i]);
        }
        return text.ToString();
    }

    /// <summary>SHA-256 over method, path and the body bytes as received (hex). The body is buffered so the endpoint still reads it.</summary>
    private static async Task<string> FingerprintAsync(HttpRequest request, CancellationToken ct)
    {
        request.EnableBuffering();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method}\n{request.PathBase}{request.Path}\n".ToLowerInvariant()));
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0) hash.AppendData(chunk, 0, read);
        request.Body.Position = 0;
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// For a streamed body (a document upload): SHA-256 over method, path and the headers that describe the body —
    /// Content-Type (with a multipart boundary), Content-Disposition (the file name), Content-Length and a
    /// Content-Digest/Repr-Digest (RFC 9530) if the client sends one. The body itself is not read: buffering it would
    /// hold up to 10 MiB of a person's document, spilled in clear to a temporary file. So a retry that sends other bytes
    /// under the same key and the same headers is answered with the first upload's answer instead of 422 — a client that
    /// wants that caught sends Content-Digest.
    /// </summary>
    private static string StreamedFingerprint(HttpRequest request)
    {
        var headers = request.Headers;
        var described = $"{request.Method}\n{request.PathBase}{request.Path}\n".ToLowerInvariant()
            + $"{headers.ContentType}\n{headers.ContentDisposition}\n{request.ContentLength}\n{headers["Content-Digest"]}\n{headers["Repr-Digest"]}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(described)));
    }

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 ? null : value.ToString();
}
