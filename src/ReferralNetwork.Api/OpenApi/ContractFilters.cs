using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using ReferralNetwork.Application.Features.Referrals;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Organisations;
using ReferralNetwork.Domain.People;
using ReferralNetwork.Domain.Deadlines;
using ReferralNetwork.Domain.Referrals;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ReferralNetwork.Api.OpenApi;

/// <summary>
/// Codes travel as strings (so a bad one is a 400 naming the field, with every other error of the body); the contract
/// still lists the allowed values, from the same enums the server parses with.
/// </summary>
public static class WireCodes
{
    private static readonly string[] Boxes = ListReferralsValidator.Boxes;
    private static readonly string[] Relations = ["referrer", "receiver", "observer", ReferralReader.EscalationRelation];

    public static readonly IReadOnlyDictionary<string, IReadOnlyCollection<string>> ByName = new Dictionary<string, IReadOnlyCollection<string>>(StringComparer.OrdinalIgnoreCase)
    {
        ["urgency"] = Wire.Codes<Urgency>(),
        ["kind"] = Wire.Codes<OrganisationKind>(),
        ["sex"] = Wire.Codes<Sex>(),
        ["legalStatus"] = Wire.Codes<LegalStatus>(),
        ["reasonCode"] = Wire.Codes<DeclineReason>(),
        ["declineReason"] = Wire.Codes<DeclineReason>(),
        ["outcome"] = Wire.Codes<CompletionOutcome>(),
        ["givenBy"] = Wire.Codes<ConsentGiver>(),
        ["method"] = Wire.Codes<ConsentMethod>(),
        ["relation"] = Relations,
        ["accessed"] = new[] { ReferralNetwork.Application.Features.Audit.PersonalDataAccessView.Identity, ReferralNetwork.Application.Features.Audit.PersonalDataAccessView.Attachment },
        ["box"] = Boxes,
        // The system's own role is never granted to a key or a user, so no answer carries it.
        ["roles"] = Wire.Codes<Role>().Where(r => r != Role.System.Code() && r != Role.Anonymous.Code()).ToArray(),
        ["deadline"] = Wire.Codes<DeadlineKind>(),
        ["consentBasis"] = Wire.Codes<ConsentBasis>(),
        ["closedBasis"] = new[] { DutyClosure.Met, DutyClosure.Discharged },
        ["vulnerabilities"] = Wire.Codes<Vulnerability>(),
        ["vulnerabilitiesAny"] = Wire.Codes<Vulnerability>(),
        ["allowedActions"] = Wire.Codes<ReferralAction>(),
        ["groupBy"] = ReferralNetwork.Application.Features.Statistics.StatisticsDimensions.All.Keys.ToArray(),
    };

    /// <summary>"status" means a referral's status only on referral shapes (elsewhere it is a health or delivery state).</summary>
    public static readonly IReadOnlyCollection<string> ReferralStatuses = Wire.Codes<ReferralStatus>();

    /// <summary>Why a responsibility period closed: a transition's new status, or the end of the onward referral of a redirect.</summary>
    public static readonly IReadOnlyCollection<string> PeriodClosures =
        [.. Wire.Codes<ReferralStatus>(), ResponsibilityBasis.OnwardAccepted, ResponsibilityBasis.OnwardEnded];

    public static void Restrict(IOpenApiSchema schema, IReadOnlyCollection<string> codes)
    {
        var target = schema is OpenApiSchema concrete && concrete.Type?.HasFlag(JsonSchemaType.Array) == true ? concrete.Items : schema;
        if (target is OpenApiSchema s && (s.Type?.HasFlag(JsonSchemaType.String) ?? false) && (s.Enum is null || s.Enum.Count == 0))
        {
            s.Enum = codes.Select(c => (JsonNode)JsonValue.Create(c)!).ToList();
            // JSON Schema checks enum on its own: a nullable code lists null among its values, or a null answer breaks it.
            if (s.Type.Value.HasFlag(JsonSchemaType.Null)) s.Enum.Add(null!);
        }
    }
}

public sealed class WireCodesSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema.Properties is null || context.Type.Namespace?.StartsWith("ReferralNetwork", StringComparison.Ordinal) != true) return;
        foreach (var (name, property) in schema.Properties.ToList())
        {
            // A nullable reference: the referenced schema or null, in JSON Schema's own terms (an allOf beside a null
            // type would still demand the object).
            if (property is OpenApiSchema { AllOf.Count: 1 } wrapper && wrapper.Type is { } t && t.HasFlag(JsonSchemaType.Null))
            {
                schema.Properties[name] = new OpenApiSchema
                {
                    Description = wrapper.Description,
                    // null first, in oneOf: the form JSON Schema code generators (NJsonSchema, openapi-typescript) read as "nullable reference".
                    OneOf = [new OpenApiSchema { Type = JsonSchemaType.Null }, wrapper.AllOf[0]],
                };
                continue;
            }
            // A responsibility period closes for a transition (the new status's code) or for its onward referral; a duty is met or discharged.
            if (name == "closedBasis" && context.Type.Name.Contains("Period", StringComparison.Ordinal)) WireCodes.Restrict(property, WireCodes.PeriodClosures);
            else if (WireCodes.ByName.TryGetValue(name, out var codes)) WireCodes.Restrict(property, codes);
            else if (name == "status" && context.Type.Name.StartsWith("Referral", StringComparison.Ordinal)) WireCodes.Restrict(property, WireCodes.ReferralStatuses);
        }
    }
}

/// <summary>Query parameters with codes list them; anonymous endpoints say so; referral answers document their ETag.</summary>
public sealed class ContractOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter.In != ParameterLocation.Query || parameter.Schema is null) continue;
            var path = context.ApiDescription.RelativePath ?? "";
            // Indicators group by other keys than statistics do; reports export to the same formats.
            if (parameter.Name == "groupBy" && path.StartsWith("api/v1/reports/", StringComparison.Ordinal))
                WireCodes.Restrict(parameter.Schema, ReferralNetwork.Application.Features.Reports.IndicatorGroupings.All.Keys.ToArray());
            else if (parameter.Name == "format" && (path.StartsWith("api/v1/reports/", StringComparison.Ordinal) || path.StartsWith("api/v1/statistics/", StringComparison.Ordinal)))
                WireCodes.Restrict(parameter.Schema, ReferralNetwork.Application.Features.Reports.ReportFormats.All);
            else if (WireCodes.ByName.TryGetValue(parameter.Name!, out var codes)) WireCodes.Restrict(parameter.Schema, codes);
            else if (parameter.Name == "status" && context.ApiDescription.RelativePath?.StartsWith("api/v1/referrals", StringComparison.Ordinal) == true)
                WireCodes.Restrict(parameter.Schema, WireCodes.ReferralStatuses);
            else if (parameter.Name == "sort" && path.StartsWith("api/v1/referrals", StringComparison.Ordinal))
                WireCodes.Restrict(parameter.Schema, ListReferralsValidator.Sorts);
            // A month or a quarter, never an instant (issue 18): the same form the server parses.
            else if (parameter.Name == "period" && parameter.Schema is OpenApiSchema period)
            {
                period.Pattern = ReferralNetwork.Application.Features.Statistics.ReportPeriod.Pattern;
                period.MaxLength = 7;
            }
        }
        // A report's 200 is JSON, or with format=csv|xlsx the same table as a file.
        var reportPath = context.ApiDescription.RelativePath ?? "";
        if ((reportPath.StartsWith("api/v1/reports/", StringComparison.Ordinal) || reportPath.StartsWith("api/v1/statistics/", StringComparison.Ordinal))
            && operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse okResponse)
        {
            okResponse.Content ??= new Dictionary<string, IOpenApiMediaType>();
            okResponse.Content["text/csv"] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = int.MaxValue } };
            okResponse.Content["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"] =
                new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", MaxLength = int.MaxValue } };
        }
        var anonymous = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Authorization.IAllowAnonymous>().Any();
        if (anonymous) operation.Security = [];
        var returnsReferral = context.ApiDescription.SupportedResponseTypes.Any(r => r.Type?.Name == "ReferralView");
        if (returnsReferral && operation.Responses is not null)
        {
            foreach (var (code, response) in operation.Responses)
            {
                if (!code.StartsWith('2') || response is not OpenApiResponse concrete) continue;
                concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
                concrete.Headers["ETag"] = new OpenApiHeader
                {
                    Description = "The referral's version as a strong entity tag; send it as If-Match with the next action.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                };
            }
        }
    }
}

/// <summary>Tag descriptions, so the contract reads as documentation.</summary>
public sealed class TagsDocumentFilter : IDocumentFilter
{
    private static readonly Dictionary<string, string> Descriptions = new()
    {
        ["Directory"] = "Who you are and the service catalogue.",
        ["Organisations"] = "The network's organisations and their API keys.",
        ["Referrals"] = "Referrals between organisations: submit, act (with If-Match), timeline and notes.",
        ["Persons"] = "People referred: identities (encrypted, every read logged), consents, erasure.",
        ["Protocols"] = "Shared, versioned rules of conduct that referrals pin.",
        ["Webhooks"] = "Signed notifications of referral events for partner systems.",
        ["Audit"] = "Accountability for auditors: responsibility trails, breaches, tamper-evident log.",
        ["Statistics"] = "Anonymised counts with small-cell suppression.",
        ["Reports"] = "Performance indicators of organisations, protocols and services, and their exports.",
        ["Health"] = "Liveness and readiness probes.",
    };

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var used = (document.Paths ?? []).Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? []).SelectMany(o => o.Tags ?? new HashSet<OpenApiTagReference>())
            .Select(t => t.Name).Where(n => n is not null).Distinct().Order(StringComparer.Ordinal);
        document.Tags = new HashSet<OpenApiTag>(used.Select(name => new OpenApiTag { Name = name, Description = Descriptions.GetValueOrDefault(name!, name!) }));
    }
}
