using Dapper;
using Microsoft.OpenApi;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Audit.Log;
using ReferralNetwork.Infrastructure.Persistence;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ReferralNetwork.Api.Endpoints;

/// <summary>
/// Receipts on request (<c>Prefer: return=receipt</c>, RFC 7240) on every operation that takes an Idempotency-Key —
/// the submission and every action on a referral, and publishing a protocol. After the command has committed, the
/// events it appended are put into the transparency log at once, and the answer carries, for its main event (the
/// first on a referral stream, else the first):
/// <c>Preference-Applied: return=receipt</c>, <c>Audit-Event-Id</c>, <c>Audit-Log-Index</c> and
/// <c>Link: &lt;/api/v1/audit/receipts/{id}&gt;; rel="receipt"</c>, where the c2sp.org/tlog-proof can be fetched once
/// the next checkpoint is cosigned. A replayed idempotent answer carries no receipt headers (its event is the first
/// answer's). A failure here never fails the answer: the action is committed; the receipt is then only at the link.
/// </summary>
public sealed class AuditReceiptMiddleware(RequestDelegate next, ILogger<AuditReceiptMiddleware> logger)
{
    public const string EventIdHeader = "Audit-Event-Id";
    public const string LogIndexHeader = "Audit-Log-Index";

    public async Task InvokeAsync(HttpContext context, LogSequencer sequencer, ConnectionFactory factory)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IdempotentOperation>() is null || !WantsReceipt(context.Request))
        {
            await next(context);
            return;
        }
        var appended = AuditReceipts.Collect();
        // OnStarting runs when the answer's headers go out: after the command's commit on both paths (the idempotent
        // path commits before it copies its buffered answer out).
        context.Response.OnStarting(async () =>
        {
            List<AppendedEvent> events;
            lock (appended) events = [.. appended];
            if (context.Response.StatusCode is < 200 or >= 300 || events.Count == 0) return;
            var main = events.FirstOrDefault(e => e.StreamId.StartsWith("referral/", StringComparison.Ordinal)) ?? events[0];
            context.Response.Headers["Preference-Applied"] = "return=receipt";
            context.Response.Headers[EventIdHeader] = main.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers.Append("Link", $"</api/v1/audit/receipts/{main.EventId}>; rel=\"receipt\"");
            try
            {
                await sequencer.SequenceAsync(CancellationToken.None);
                await using var connection = await factory.OpenAsync(CancellationToken.None);
                var index = await connection.ExecuteScalarAsync<long?>("SELECT log_index FROM audit_log_entries WHERE global_seq = @Id", new { Id = main.EventId });
                if (index is { } i) context.Response.Headers[LogIndexHeader] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Could not put audit event {EventId} into the log for its receipt; the next checkpoint will.", main.EventId);
            }
        });
        await next(context);
    }

    public static bool WantsReceipt(HttpRequest request) =>
        request.Headers["Prefer"].SelectMany(v => (v ?? "").Split(',')).Any(p => p.Split(';')[0].Trim().Equals("return=receipt", StringComparison.OrdinalIgnoreCase));
}

public static class AuditReceiptConventions
{
    /// <summary>Place before <see cref="IdempotencyConventions.UseIdempotency"/>, so the receipt is added after the idempotent commit.</summary>
    public static IApplicationBuilder UseAuditReceipts(this IApplicationBuilder app) => app.UseMiddleware<AuditReceiptMiddleware>();
}

/// <summary>Documents <c>Prefer: return=receipt</c> and the receipt headers on the operations that offer them.</summary>
public sealed class AuditReceiptOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IdempotentOperation>().Any()) return;
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = "Prefer",
            In = ParameterLocation.Header,
            Required = false,
            Description = "return=receipt: the answer names the audit event it appended (Audit-Event-Id), its index in the transparency log " +
                          "(Audit-Log-Index) and where its receipt (a c2sp.org/tlog-proof) is fetched once the next checkpoint is cosigned (Link rel=receipt).",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
        foreach (var (code, response) in operation.Responses ?? [])
        {
            if (!code.StartsWith('2') || response is not OpenApiResponse concrete) continue;
            concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
            concrete.Headers[AuditReceiptMiddleware.EventIdHeader] = new OpenApiHeader
            {
                Description = "With Prefer: return=receipt — the id (globalSeq) of the audit event this answer recorded.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" },
            };
            concrete.Headers[AuditReceiptMiddleware.LogIndexHeader] = new OpenApiHeader
            {
                Description = "With Prefer: return=receipt — that event's index in the audit transparency log.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" },
            };
        }
    }
}
