using Microsoft.OpenApi;
using ReferralNetwork.Api.Endpoints;
using ReferralNetwork.Application.Features.Attachments;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ReferralNetwork.Api.OpenApi;

/// <summary>
/// The document upload reads its body itself (it streams), so nothing tells the generator what it takes: this filter
/// describes it — the raw document as application/pdf, image/jpeg, image/png or application/octet-stream, or
/// multipart/form-data with a <c>file</c> part — so Spectral and Prism see a request body they can check. The file name
/// travels in Content-Disposition, which OpenAPI does not let a header parameter describe; the description says it.
/// </summary>
public sealed class AttachmentUploadOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.OperationId == "DownloadAttachment" && operation.Responses?.TryGetValue("200", out var ok) == true && ok.Content is { } download)
            foreach (var type in download.Keys.ToList()) download[type] = new OpenApiMediaType { Schema = Binary() };
        if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<AttachmentUploadBody>().Any()) return;
        var content = new Dictionary<string, IOpenApiMediaType>();
        foreach (var type in AttachmentTypes.Accepted.Append(AttachmentTypes.Unlabelled))
            content[type] = new OpenApiMediaType { Schema = Binary() };
        content["multipart/form-data"] = new OpenApiMediaType
        {
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Required = new HashSet<string> { "file" },
                Properties = new Dictionary<string, IOpenApiSchema> { ["file"] = Binary() },
            },
        };
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "The document: a PDF, JPEG or PNG, judged by its first bytes; a declared type must agree with them (or be application/octet-stream). " +
                          "Sent raw, the file name is in Content-Disposition: attachment; filename=\"scan.pdf\" (or filename*=UTF-8''…); as multipart/form-data, " +
                          "in the file part's own Content-Disposition. At most Attachments:MaxBytes (10 MiB by default): 413 beyond.",
            Content = content,
        };
    }

    // The contract's string limit (4000) is for text; a document's length is Attachments:MaxBytes, which is configuration.
    private static OpenApiSchema Binary() => new() { Type = JsonSchemaType.String, Format = "binary", MaxLength = int.MaxValue };
}
