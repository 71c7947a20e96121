using Microsoft.OpenApi;

namespace ReferralNetwork.Api.OpenApi;

public static class OpenApiSetup
{
    public const string DocumentName = "v1";

    public static IServiceCollection AddReferralNetworkOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSingleton<ContractLimits>();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "ReferralNetwork API",
                Version = "v1",
                Description = "Referrals of vulnerable people between the organisations that protect migrants in Serbia, under shared protocols and accountability rules.",
                License = new OpenApiLicense { Name = "Proprietary — ReferralNetwork members only" },
                Contact = new OpenApiContact { Name = "The network coordinator that operates this deployment (see README, For partner systems)" },
            });
            // x-internal: false — the contract is for partner systems outside the operator (OWASP API9 asks it be said).
            o.AddServer(new OpenApiServer
            {
                Url = "/", Description = "This deployment (production, or a test deployment: the contract is the same)",
                Extensions = new Dictionary<string, IOpenApiExtension> { ["x-internal"] = new JsonNodeExtension(System.Text.Json.Nodes.JsonValue.Create(false)) },
            });
            // Nullable reference types decide `nullable`; a nullable reference to another schema is written as
            // allOf + nullable (OpenAPI 3.0), so generated clients accept the null the API sends.
            o.SupportNonNullableReferenceTypes();
            o.UseAllOfToExtendReferenceSchemas();
            o.SchemaFilter<WireCodesSchemaFilter>();
            o.OperationFilter<ContractOperationFilter>();
            o.OperationFilter<RequestExamplesOperationFilter>();
            o.DocumentFilter<TagsDocumentFilter>();
            o.SchemaFilter<RequiredAndLimitsSchemaFilter>();
            o.OperationFilter<ProblemsAndHeadersOperationFilter>();
            o.DocumentFilter<LimitsDocumentFilter>();
            o.DocumentFilter<WebhooksDocumentFilter>();
            o.AddSecurityDefinition("bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key (rn_…) issued by an organisation admin: Authorization: Bearer rn_…",
            });
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });
            o.CustomSchemaIds(SchemaId);
            o.OperationFilter<Endpoints.IdempotencyKeyOperationFilter>();
            o.OperationFilter<Endpoints.AuditReceiptOperationFilter>();
            o.OperationFilter<AttachmentUploadOperationFilter>();
        });
        return services;
    }

    /// <summary>Short, stable schema names: <c>ReferralView</c>, <c>PageOfReferralView</c>.</summary>
    private static string SchemaId(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`')]}Of{string.Join("And", type.GetGenericArguments().Select(SchemaId))}"
        : type.Name;

    /// <summary>
    /// Serves the document and Swagger UI only where <c>OpenApi:Public</c> says so — by default in Development, not
    /// elsewhere: the contract is no secret (it is in the repository, openapi/referral-network.v1.json), but a production
    /// API need not hand anonymous callers a map of itself and a page that runs script.
    /// </summary>
    public static bool IsPublic(IConfiguration configuration, IHostEnvironment environment) =>
        configuration.GetValue(PublicSetting, environment.IsDevelopment());

    public const string PublicSetting = "OpenApi:Public";

    public static void UseReferralNetworkOpenApi(this WebApplication app)
    {
        if (!IsPublic(app.Configuration, app.Environment)) return;
        // OpenAPI 3.1: nullability is JSON Schema's own ("type": ["string", "null"], anyOf with {"type": "null"}), which
        // validating tools (Prism, Spectral) honour; 3.0's "nullable" beside an allOf is ignored by them (issue 15).
        app.UseSwagger(o => o.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1);
        app.UseSwaggerUI(o => o.SwaggerEndpoint($"/swagger/{DocumentName}/swagger.json", "ReferralNetwork v1"));
    }
}
