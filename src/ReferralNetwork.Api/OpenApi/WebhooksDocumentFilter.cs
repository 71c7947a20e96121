using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using ReferralNetwork.Application.Features.Webhooks;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Referrals;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ReferralNetwork.Api.OpenApi;

/// <summary>
/// What the API sends to a subscriber (OpenAPI 3.1 <c>webhooks</c>): the thin event payload and the Standard Webhooks
/// headers, so a partner can generate and validate its receiving endpoint from the same contract (issue 15).
/// </summary>
public sealed class WebhooksDocumentFilter : IDocumentFilter
{
    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas["WebhookEvent"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "The thin payload of every event: ids and codes only, never personal data; fetch the referral with your own key.",
            Required = new HashSet<string> { "type", "timestamp", "data" },
            AdditionalPropertiesAllowed = false,
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = WebhookEvents.All.Select(e => (JsonNode)JsonValue.Create(e)!).ToList() },
                ["timestamp"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time", MaxLength = 40 },
                ["data"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "referralId and status always (null for an event about no referral); event-specific codes beside them, e.g. for " +
                                  "referral.deadline_missed the deadline, its holder and the lateness.",
                    Required = new HashSet<string> { "referralId", "status" },
                    MaxProperties = 20,
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["referralId"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Format = "uuid", MaxLength = 36 },
                        ["status"] = new OpenApiSchema
                        {
                            Type = JsonSchemaType.String | JsonSchemaType.Null,
                            Enum = [.. Wire.Codes<ReferralStatus>().Select(c => (JsonNode)JsonValue.Create(c)!), null!],
                        },
                    },
                    AdditionalPropertiesAllowed = true,
                },
            },
        };
        var operation = new OpenApiOperation
        {
            OperationId = "ReceiveReferralEvent",
            Summary = "What your endpoint receives: one event, signed (Standard Webhooks).",
            Description = "Verify webhook-signature over \"{webhook-id}.{webhook-timestamp}.{raw body}\" with HMAC-SHA256 and the base64-decoded part of " +
                          "your secret after whsec_; reject timestamps more than 5 minutes away; drop a webhook-id seen before. Answer 2xx within 15 s; " +
                          "410 retires the subscription; anything else is retried for about three days (README, Webhooks).",
            Parameters =
            [
                Header("webhook-id", "The delivery's id, the same on every retry and redelivery: deduplicate by it.",
                    new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid", MaxLength = 36 }),
                Header("webhook-timestamp", "Unix seconds of this attempt.", new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]{1,12}$", MaxLength = 12 }),
                Header("webhook-signature", "v1,<base64 HMAC-SHA256>; several space-separated while a secret rotates.",
                    new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^v1,[A-Za-z0-9+/]+={0,2}( v1,[A-Za-z0-9+/]+={0,2})*$", MaxLength = 1000 }),
            ],
            RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, IOpenApiMediaType>
                {
                    ["application/json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference("WebhookEvent", document) },
                },
            },
            Responses = new OpenApiResponses
            {
                ["204"] = new OpenApiResponse { Description = "Received (any 2xx): the delivery is done." },
                ["410"] = new OpenApiResponse { Description = "Gone: the subscription is disabled, nothing more is sent to it." },
            },
            Security = [],
        };
        document.Webhooks ??= new Dictionary<string, IOpenApiPathItem>();
        document.Webhooks["referralEvent"] = new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Post] = operation } };
    }

    private static OpenApiParameter Header(string name, string description, OpenApiSchema schema) => new()
    {
        Name = name, In = ParameterLocation.Header, Required = true, Description = description, Schema = schema,
    };
}
