using FluentValidation;
using FluentValidation.Results;
using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using ReferralNetwork.Api.Limits;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Attachments;

namespace ReferralNetwork.Api.Endpoints;

/// <summary>
/// Documents of a referral (issue 17 point 5). The upload is the body itself — <c>Content-Type</c> and
/// <c>Content-Disposition: attachment; filename="…"</c> (or <c>filename*=UTF-8''…</c>, RFC 6266/8187) — or
/// multipart/form-data with a file part; either way the content reaches the handler as the stream it arrives in.
/// </summary>
public static class AttachmentEndpoints
{
    /// <summary>Room for a multipart envelope (boundaries, part headers, a small text field) around the largest document.</summary>
    public const long MultipartAllowance = 64 * 1024;

    public static void MapAttachmentEndpoints(this IEndpointRouteBuilder app)
    {
        var options = app.ServiceProvider.GetRequiredService<AttachmentOptions>();
        var group = app.MapApiGroup("/referrals", "Referrals");

        group.MapPost("/{id}/attachments", async Task<Created<AttachmentView>> (Guid id, HttpRequest request, IMediator mediator, CancellationToken ct) =>
            {
                var upload = await AttachmentUpload.ReadAsync(request, options, ct);
                var attachment = await mediator.Send(new AddAttachmentCommand(id, upload.FileName, upload.DeclaredType, upload.Content), ct);
                return TypedResults.Created($"/api/v1/referrals/{id}/attachments/{attachment.Id}", attachment);
            })
            .WithName("AddAttachment")
            .WithSummary("Attaches a PDF, JPEG or PNG document (judged by its bytes) to a referral, for its referrer and receiver: the body with Content-Type and Content-Disposition: attachment; filename=\"…\", or multipart/form-data with one file part. Stored encrypted under the person's data key; at most Attachments:MaxBytes (10 MiB).")
            .WithMetadata(new RequestBodyLimit(options.MaxBytes + MultipartAllowance), new StreamedBody(), new AttachmentUploadBody())
            .Problems(400, 403, 404, 409, 413, 415, 422).WithIdempotency();

        group.MapGet("/{id}/attachments", async (Guid id, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ListAttachmentsQuery(id), ct)))
            .WithName("ListAttachments").WithSummary("A referral's documents (metadata; file names opened with the person's key), for its referrer and receiver. Observers: 403.")
            .Problems(403, 404);

        group.MapGet("/{id}/attachments/{attachmentId}", async (Guid id, Guid attachmentId, IMediator mediator, CancellationToken ct) =>
                new AttachmentContentResult(await mediator.Send(new DownloadAttachmentCommand(id, attachmentId), ct)))
            .WithName("DownloadAttachment")
            .WithSummary("The document's content, decrypted as it is sent, with its type and Content-Disposition: attachment. Every download is recorded in the person's access log; after the person's erasure 410.")
            .Produces<Stream>(StatusCodes.Status200OK, AttachmentTypes.Pdf, AttachmentTypes.Jpeg, AttachmentTypes.Png)
            .Problems(403, 404, 410);
    }
}

/// <summary>Endpoint metadata: the body is streamed to the handler, so middleware must neither buffer nor pre-read it.</summary>
public sealed class StreamedBody;

/// <summary>Endpoint metadata: the contract describes this request body as a document upload (see AttachmentUploadOperationFilter).</summary>
public sealed class AttachmentUploadBody;

/// <summary>What an upload says about its file, and the content as a stream.</summary>
public sealed record AttachmentUpload(string? FileName, string? DeclaredType, Stream Content)
{
    public static async Task<AttachmentUpload> ReadAsync(HttpRequest request, AttachmentOptions options, CancellationToken ct)
    {
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return await FromMultipartAsync(request, type, ct);
        // A body announced as too large is refused before a byte is read; one that lies about its length is caught while it streams.
        if (request.ContentLength > options.MaxBytes)
            throw new PayloadTooLargeException($"A document may be at most {options.MaxBytes} bytes.");
        var disposition = ContentDispositionHeaderValue.TryParse(request.Headers.ContentDisposition.ToString(), out var parsed) ? parsed : null;
        return new AttachmentUpload(FileNameOf(disposition), request.ContentType, request.Body);
    }

    /// <summary>The first part with a file name is the document; parts before it (none are expected) are skipped, parts after it are not read.</summary>
    private static async Task<AttachmentUpload> FromMultipartAsync(HttpRequest request, MediaTypeHeaderValue type, CancellationToken ct)
    {
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
            throw new UnsupportedContentException("A multipart/form-data upload needs its boundary parameter.");
        var reader = new MultipartReader(boundary, request.Body);
        MultipartSection? section;
        while ((section = await ReadSectionAsync(reader, ct)) is not null)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition()) continue;
            return new AttachmentUpload(FileNameOf(disposition), section.ContentType, section.Body);
        }
        return new AttachmentUpload(null, null, Stream.Null);
    }

    private static async Task<MultipartSection?> ReadSectionAsync(MultipartReader reader, CancellationToken ct)
    {
        try
        {
            return await reader.ReadNextSectionAsync(ct);
        }
        catch (IOException)
        {
            // A malformed envelope (no boundary line, a truncated header) is the client's: 400, not 500.
            throw new ValidationException([new ValidationFailure("body", "The multipart/form-data body cannot be read.")]);
        }
    }

    /// <summary>filename* (RFC 8187, UTF-8) over filename; only the last path segment (browsers once sent C:\fakepath\…).</summary>
    private static string? FileNameOf(ContentDispositionHeaderValue? disposition)
    {
        var name = disposition is null ? null
            : HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
        if (string.IsNullOrWhiteSpace(name)) return null;
        var last = name.Split('/', '\\')[^1].Trim();
        return last.Length == 0 ? null : last;
    }
}

/// <summary>
/// Writes a document as it is opened, one 64 KiB chunk at a time. The access-log event is already committed when this
/// runs. Content-Disposition: attachment and nosniff keep a browser from rendering what a partner uploaded; no-store
/// keeps personal data out of caches.
/// </summary>
public sealed class AttachmentContentResult(AttachmentDownload download) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        var attachment = download.Attachment;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = attachment.ContentType;
        response.ContentLength = attachment.Size;
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(attachment.FileName ?? $"{attachment.Id:D}");
        response.Headers.ContentDisposition = disposition.ToString();
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "no-store";
        await foreach (var chunk in download.Content.WithCancellation(context.RequestAborted))
            await response.Body.WriteAsync(chunk, context.RequestAborted);
    }
}
