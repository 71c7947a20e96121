using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.OpenApi;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Referrals;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace ReferralNetwork.Api.OpenApi;

/// <summary>
/// Required members and limits (issue 15). A request body states what its validator requires and the lengths and
/// bounds it enforces; an answer states every member as required, because the API always writes every member (null
/// where there is no value) — except the few marked to be left out when null.
/// </summary>
public sealed class RequiredAndLimitsSchemaFilter(ContractLimits limits) : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete || concrete.Properties is not { Count: > 0 } properties) return;
        if (context.Type.Namespace?.StartsWith("ReferralNetwork", StringComparison.Ordinal) != true) return;
        var members = limits.For(context.Type);
        if (members is not null || IsRequestShape(context.Type))
        {
            concrete.Required = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, property) in properties)
            {
                if (members?.GetValueOrDefault(name) is not { } member) continue;
                if (member.Required) concrete.Required.Add(name);
                Apply(property, member);
            }
            return;
        }
        var optional = context.Type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.WhenWritingNull or JsonIgnoreCondition.WhenWritingDefault })
            .Select(p => JsonNamingPolicy(p.Name)).ToHashSet(StringComparer.Ordinal);
        concrete.Required = new HashSet<string>(properties.Keys.Where(k => !optional.Contains(k)), StringComparer.Ordinal);
    }

    private static bool IsRequestShape(Type type) => type.Name.EndsWith("Command", StringComparison.Ordinal) || type.Name.EndsWith("Input", StringComparison.Ordinal)
        || type.Name.EndsWith("Body", StringComparison.Ordinal) || type.Name.EndsWith("Request", StringComparison.Ordinal);

    private static string JsonNamingPolicy(string name) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name);

    private static void Apply(IOpenApiSchema property, MemberLimits member)
    {
        if (property is not OpenApiSchema p) return;
        // A required member's validator refuses null as it refuses absence: the contract says so (true nullability).
        if (member.Required) Nullability.NotNull(p);
        var target = p.Type?.HasFlag(JsonSchemaType.Array) == true && p.Items is OpenApiSchema items ? items : p;
        if (member.MaxLength is { } max && target.Type?.HasFlag(JsonSchemaType.String) == true && target.Enum is not { Count: > 0 }) target.MaxLength = max;
        if (member.MinLength is { } min && target.Type?.HasFlag(JsonSchemaType.String) == true) target.MinLength = min;
        if (member.Required && target == p && p.Type?.HasFlag(JsonSchemaType.String) == true && p.MinLength is null) p.MinLength = 1;
        if (target.Type?.HasFlag(JsonSchemaType.Integer) == true || target.Type?.HasFlag(JsonSchemaType.Number) == true)
        {
            if (member.Minimum is { } lo) target.Minimum = lo.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (member.Maximum is { } hi) target.Maximum = hi.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>
/// The limits every remaining string, array and integer of the contract gets (OWASP API4), and the one problem schema.
/// Each bound is one the server keeps: ids are UUIDs, times ISO 8601, integers within their format, free text within
/// the longest text the API accepts in, lists within what the API's rules allow.
/// </summary>
public static class Nullability
{
    /// <summary>Takes null out of a schema's type, its enum and its oneOf branches.</summary>
    public static void NotNull(OpenApiSchema p)
    {
        if (p.Type is { } type && type.HasFlag(JsonSchemaType.Null)) p.Type = type & ~JsonSchemaType.Null;
        if (p.Enum is { Count: > 0 } values) p.Enum = values.Where(v => v is not null).ToList();
        if (p.OneOf is { Count: > 1 } branches)
            p.OneOf = branches.Where(b => b is not OpenApiSchema { Type: JsonSchemaType.Null }).ToList();
    }
}

public sealed class LimitsDocumentFilter(ContractLimits limits) : IDocumentFilter
{
    /// <summary>The longest free text any request may carry (a referral's reason); nothing the API writes back is longer.</summary>
    public const int TextLimit = 4000;

    /// <summary>Arrays that are not pages: their bounds, from the rules that fill them.</summary>
    private static readonly Dictionary<string, int> ArrayBounds = new(StringComparer.Ordinal)
    {
        ["items"] = Paging.MaxLimit,
    };

    /// <summary>An unpaged list in an answer (a referral's timeline, its notes, a proof's hashes) is bounded by this.</summary>
    public const int ListLimit = 10_000;

    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas["ProblemDetails"] = ProblemSchema();
        foreach (var (_, schema) in document.Components.Schemas) Walk(schema, null);
        foreach (var (_, path) in document.Paths ?? [])
        foreach (var (_, operation) in path.Operations ?? [])
        {
            foreach (var parameter in operation.Parameters ?? [])
            {
                if (parameter.Schema is OpenApiSchema s && limits.ForParameter(parameter.Name!) is { } member)
                {
                    if (member.MaxLength is { } max && s.Type?.HasFlag(JsonSchemaType.String) == true && s.Enum is not { Count: > 0 }) s.MaxLength = max;
                    if (member.Minimum is { } lo && s.Type?.HasFlag(JsonSchemaType.Integer) == true) s.Minimum = lo.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    if (member.Maximum is { } hi && s.Type?.HasFlag(JsonSchemaType.Integer) == true) s.Maximum = hi.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                Walk(parameter.Schema, parameter.Name);
            }
            foreach (var (_, media) in operation.RequestBody?.Content ?? new Dictionary<string, IOpenApiMediaType>()) Walk(media.Schema, null);
            foreach (var (_, response) in operation.Responses ?? [])
            {
                foreach (var (type, media) in response.Content ?? new Dictionary<string, IOpenApiMediaType>())
                {
                    // A stream of lines (the audit export) grows with the log: bounded by what a string can hold, not by a text's limit.
                    if (type == "application/x-ndjson" && media.Schema is OpenApiSchema stream && stream.MaxLength is null) stream.MaxLength = int.MaxValue;
                    Walk(media.Schema, null);
                }
                foreach (var (_, header) in response.Headers ?? new Dictionary<string, IOpenApiHeader>()) Walk(header.Schema, null);
            }
        }
    }

    private static void Walk(IOpenApiSchema? schema, string? name)
    {
        if (schema is not OpenApiSchema s) return; // references are walked where they are defined
        var type = s.Type ?? 0;
        if (type.HasFlag(JsonSchemaType.String) && s.MaxLength is null && s.Enum is not { Count: > 0 } && s.Const is null)
            s.MaxLength = s.Format switch { "uuid" => 36, "date-time" => 40, "date" => 10, "uri" => 2048, _ => TextLimit };
        if (type.HasFlag(JsonSchemaType.Integer))
        {
            var int64 = s.Format == "int64";
            s.Format ??= "int32";
            s.Minimum ??= int64 ? long.MinValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : int.MinValue.ToString(System.Globalization.CultureInfo.InvariantCulture);
            s.Maximum ??= int64 ? long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (type.HasFlag(JsonSchemaType.Array)) s.MaxItems ??= name is not null && ArrayBounds.TryGetValue(name, out var bound) ? bound : ListLimit;
        foreach (var (property, child) in s.Properties ?? new Dictionary<string, IOpenApiSchema>()) Walk(child, property);
        Walk(s.Items, null);
        Walk(s.AdditionalProperties, null);
        foreach (var child in (s.AllOf ?? []).Concat(s.AnyOf ?? []).Concat(s.OneOf ?? [])) Walk(child, name);
    }

    private static OpenApiSchema Text(int max, string description) => new() { Type = JsonSchemaType.String, MaxLength = max, Description = description };

    private static OpenApiSchema Codes(IEnumerable<string> codes, string description) => new()
    {
        Type = JsonSchemaType.String, Description = description, Enum = codes.Select(c => (JsonNode)JsonValue.Create(c)!).ToList(),
    };

    /// <summary>RFC 9457 problem details with every extension member this API sends.</summary>
    private static OpenApiSchema ProblemSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details (application/problem+json). title and detail follow Accept-Language; member names and codes stay English.",
        Required = new HashSet<string> { "type", "title", "status", "traceId" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", MaxLength = 200, Description = "The RFC section of the status." },
            ["title"] = Text(200, "A short summary of the kind of problem."),
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "400", Maximum = "599" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, MaxLength = TextLimit, Description = "What went wrong with this request." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, MaxLength = 2048 },
            ["traceId"] = Text(100, "Quote it when reporting a problem; the server's log has the same id."),
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "400: every field error at once, by the JSON path the client sent (person.birthYear, services[0]) or the parameter's name.",
                MaxProperties = 100,
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, MaxItems = 20, Items = Text(1000, "One message.") },
            },
            ["rule"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String, MaxLength = 100, Pattern = "^[a-z_]+(\\.[a-z_]+)*$",
                Description = "410/422: the rule of the network that forbids the request, e.g. receiver.service_not_offered, consent.required.",
            },
            ["reason"] = Codes(["credentials_missing", "invalid_key", "key_expired", "organisation_inactive", "session_expired", "csrf_token_missing",
                "csrf_token_invalid", "invalid_credentials", "locked_out", "second_factor_not_enrolled", "totp_missing", "totp_required", "invalid_activation"],
                "401 (403 for the CSRF token): why the credentials were not accepted."),
            ["code"] = Codes(["database_unavailable", "storage_unavailable"], "503: what is unavailable; retry after Retry-After seconds (README, When things fail)."),
            ["allowedActions"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array, MaxItems = 9, Items = Codes(Wire.Codes<ReferralAction>(), "An action the caller's party may take now."),
                Description = "409/403 on a referral action: what the caller's party may do instead.",
            },
            ["referralStatus"] = Codes(Wire.Codes<ReferralStatus>(), "409/403 on a referral action: the referral's status now."),
            ["party"] = Codes(Wire.Codes<Party>(), "409/403 on a referral action: the caller's party."),
        },
        AdditionalPropertiesAllowed = true,
    };
}

/// <summary>
/// Every operation states the problems every request can meet (429 over the rate limit, 503 while the database is
/// unavailable, 500), the RateLimit headers
/// its answers carry, and CORS; actions on a referral require If-Match.
/// </summary>
public sealed class ProblemsAndHeadersOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        foreach (var parameter in operation.Parameters ?? [])
            if (parameter is OpenApiParameter { In: ParameterLocation.Header } p && string.Equals(p.Name, "If-Match", StringComparison.OrdinalIgnoreCase))
            {
                p.Required = true;
                p.Description = "The ETag of the referral as the caller decided on it. Missing: 428; stale: 412.";
                p.Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 20, Pattern = "^(W/)?\"[0-9]+\"$" };
            }
        operation.Responses ??= [];
        operation.Description ??= operation.Summary;
        // Everything under /api is rate limited (per key, or per address for anonymous calls); the health probes are not.
        var authenticated = context.ApiDescription.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
        if (authenticated && !operation.Responses.ContainsKey("429"))
            operation.Responses["429"] = new OpenApiResponse
            {
                Description = "Too many requests from this API key: wait Retry-After seconds.",
                Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = new OpenApiHeader { Required = true, Description = "Seconds to wait before retrying.", Schema = Integer(1, 3600) },
                },
                Content = ProblemContent(context),
            };
        // Any request that touches the database can meet it restarting, locked or out of space (issue 22).
        if (authenticated && !operation.Responses.ContainsKey("503"))
            operation.Responses["503"] = new OpenApiResponse
            {
                Description = "The database is unavailable (code database_unavailable) or cannot store writes (storage_unavailable): nothing was written; retry after Retry-After seconds (with the same Idempotency-Key).",
                Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = new OpenApiHeader { Required = true, Description = "Seconds to wait before retrying.", Schema = Integer(1, 3600) },
                },
                Content = ProblemContent(context),
            };
        if (!operation.Responses.ContainsKey("500"))
            operation.Responses["500"] = new OpenApiResponse { Description = "An unexpected error, logged; quote the traceId.", Content = ProblemContent(context) };
        foreach (var (code, response) in operation.Responses)
        {
            if (response is not OpenApiResponse r || !(code.StartsWith('2') || code.StartsWith('4') || code == "503")) continue;
            r.Headers ??= new Dictionary<string, IOpenApiHeader>();
            if (authenticated)
            {
                r.Headers["RateLimit"] = new OpenApiHeader
                {
                    Description = "IETF RateLimit header: the caller's remaining requests (r) and seconds until the bucket is full again (t), e.g. \"per-key\";r=97;t=1. Sent when rate limiting is on.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 100 },
                };
                r.Headers["RateLimit-Policy"] = new OpenApiHeader
                {
                    Description = "IETF RateLimit-Policy header: the burst (q) and the seconds it takes to refill (w), e.g. \"per-key\";q=100;w=10.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 100 },
                };
            }
            r.Headers["Access-Control-Allow-Origin"] = new OpenApiHeader
            {
                Description = "CORS is off unless Cors:AllowedOrigins lists origins; then sent to those origins only (README, Configuration).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 2048 },
            };
        }
    }

    private static OpenApiSchema Integer(int min, int max) => new()
    {
        Type = JsonSchemaType.Integer, Format = "int32", Minimum = min.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Maximum = max.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static Dictionary<string, IOpenApiMediaType> ProblemContent(OperationFilterContext context) => new()
    {
        ["application/problem+json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference("ProblemDetails", context.Document) },
    };
}
