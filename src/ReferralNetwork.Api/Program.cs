using System.Diagnostics;
using FluentValidation;
using Mediator;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Json;
using ReferralNetwork.Api;
using ReferralNetwork.Api.Auth;
using ReferralNetwork.Api.Commands;
using ReferralNetwork.Api.Diagnostics;
using ReferralNetwork.Api.Endpoints;
using ReferralNetwork.Api.ErrorHandling;
using ReferralNetwork.Api.Limits;
using ReferralNetwork.Api.Observability;
using ReferralNetwork.Api.OpenApi;
using ReferralNetwork.Api.Security;
using ReferralNetwork.Api.ThinClient;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Behaviors;
using ReferralNetwork.Application.Features.Referrals;
using ReferralNetwork.Domain.Protocols;
using ReferralNetwork.Infrastructure;
using ReferralNetwork.Infrastructure.Bootstrap;
using ReferralNetwork.Infrastructure.Crypto;
using ReferralNetwork.Infrastructure.Persistence;
using ReferralNetwork.Infrastructure.Webhooks;

var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "serve";
// A flag, not a setting: taken out before the configuration reads the command line (which would pair it with the next argument).
var seedDemo = args.Contains("--seed-demo");
args = args.Where(a => a != "--seed-demo").ToArray();
// Settings and static files come with the binaries; relative paths in settings (the data folder) are relative to the
// working directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
// Keys fail closed, before anything reads them: outside Development a missing or invalid key (or a guessable bootstrap
// key) is one log line and exit code 1; in Development missing keys are generated into their own folder.
var startup = StartupChecks.Run(builder.Configuration, builder.Environment, command);
if (startup.Problems.Count > 0) return StartupChecks.Refuse(builder.Configuration, startup.Problems);
var limits = builder.Configuration.GetSection("Limits").Get<LimitsOptions>() ?? new LimitsOptions();
builder.WebHost.ConfigureKestrel(k =>
{
    k.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes;
    // Kestrel drops a request with a non-ASCII header value before any middleware runs (400, empty body). The
    // Idempotency-Key is read as Latin-1 instead, so its own check answers with a problem naming the header.
    k.RequestHeaderEncodingSelector = name => string.Equals(name, ReferralNetwork.Api.Idempotency.IdempotencyMiddleware.Header, StringComparison.OrdinalIgnoreCase)
        ? System.Text.Encoding.Latin1 : null;
});

BackupCommands.Configure(command, args, builder.Configuration); // verify-backup: a read-only connection to the copy
builder.Services.AddReferralNetworkInfrastructure(builder.Configuration);
// Background workers run only when serving (never while writing the OpenAPI document or migrating); each checks Workers:Enabled.
if (command != "serve") builder.Configuration["Workers:Enabled"] = "false";
// The openapi command fetches the document from the app itself, wherever it runs.
if (command == "openapi") builder.Configuration[OpenApiSetup.PublicSetting] = "true";
builder.Services.AddHostedService<WebhookDispatcherService>();
builder.Services.AddMediator((MediatorOptions options) =>
{
    options.ServiceLifetime = ServiceLifetime.Scoped;
    options.Assemblies = [typeof(SubmitReferralCommand)];
    // One explicit order: log, authorize, validate, then (commands only) one transaction with its audit events.
    // Authorization comes before validation (STYLE.md lists them the other way): a role that may not send a message
    // gets 403 whatever its body, and nothing of the caller's input is examined on behalf of someone who may not act.
    options.PipelineBehaviors = [typeof(LoggingBehavior<,>), typeof(AuthorizationBehavior<,>), typeof(ValidationBehavior<,>), typeof(TransactionBehavior<,>)];
});
builder.Services.AddValidatorsFromAssemblyContaining<SubmitReferralValidator>(ServiceLifetime.Scoped);
builder.Services.AddScoped<CurrentPrincipal>();
builder.Services.AddScoped<ICurrentPrincipal>(sp => sp.GetRequiredService<CurrentPrincipal>());
// One default scheme that picks the credentials a request carries: an Authorization header is an API key (partner
// systems) or, where organisations' own OpenID Connect providers are configured, a JWT of one of them; otherwise the thin
// client's session cookie; with neither, the API-key scheme answers the 401.
builder.Services.AddSingleton<OidcIssuers>();
var issuersConfigured = OidcIssuers.Read(builder.Configuration).Any();
builder.Services.AddAuthentication("Credentials")
    .AddPolicyScheme("Credentials", null, o => o.ForwardDefaultSelector = context =>
        context.Request.Headers.Authorization.Count == 0
            ? context.Request.Cookies.ContainsKey(SessionAuthenticationHandler.CookieName) ? SessionAuthenticationHandler.SchemeName : ApiKeyAuthenticationHandler.SchemeName
            : issuersConfigured && OidcAuthenticationHandler.CarriesJwt(context.Request.Headers.Authorization.ToString())
                ? OidcAuthenticationHandler.SchemeName : ApiKeyAuthenticationHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
    .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null)
    .AddScheme<AuthenticationSchemeOptions, OidcAuthenticationHandler>(OidcAuthenticationHandler.SchemeName, null);
builder.Services.AddAuthorization();
builder.Services.Configure<JsonOptions>(o =>
{
    // Strict: "3" is not a number and a number is not a string.
    o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
    o.SerializerOptions.Converters.Add(new UtcTimeConverter());
});
// Binding failures become exceptions, so the one problem handler can say which field was wrong.
builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
{
    context.ProblemDetails.Type ??= ProblemTypes.For(context.ProblemDetails.Status ?? 500);
    context.ProblemDetails.Extensions["traceId"] = Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;
});
builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
builder.Services.AddReferralNetworkOpenApi();
builder.Services.AddPerKeyRateLimiting(builder.Configuration);
builder.Services.AddReportConcurrency(builder.Configuration);
// CORS is off unless origins are configured: the thin client is served from the API's own origin.
var corsOrigins = builder.Configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
if (corsOrigins.Length > 0)
    builder.Services.AddCors(o => o.AddDefaultPolicy(p => p.WithOrigins(corsOrigins).AllowAnyHeader().WithMethods("GET", "POST", "PATCH", "DELETE")
        .WithExposedHeaders("ETag", "Location", "Retry-After", "Idempotent-Replayed", "RateLimit", "RateLimit-Policy")));
// Problem titles and validation messages follow Accept-Language (issue 15); formatting stays invariant English.
// Validation templates written here are translated before FluentValidation fills their placeholders.
FluentValidation.ValidatorOptions.Global.MessageFormatterFactory = () => new ReferralNetwork.Api.Resources.TranslatingMessageFormatter();
builder.Services.AddRequestLocalization(o =>
{
    o.DefaultRequestCulture = new Microsoft.AspNetCore.Localization.RequestCulture("en");
    o.SupportedCultures = [new System.Globalization.CultureInfo("en")];
    o.SupportedUICultures = ReferralNetwork.Api.Resources.ProblemTexts.Languages.Select(l => new System.Globalization.CultureInfo(l)).ToList();
    o.RequestCultureProviders = [new Microsoft.AspNetCore.Localization.AcceptLanguageHeaderRequestCultureProvider()];
});
builder.Services.AddHsts(o => o.MaxAge = TimeSpan.FromDays(365));
// Metrics, traces and JSON logs for operators (issue 20): all off unless configured.
var observability = builder.AddReferralNetworkObservability();

var app = builder.Build();
foreach (var warning in startup.Warnings) app.Logger.LogWarning("{Warning}", warning);
// First, so that the problems the exception handler and status pages write are in the caller's language too.
app.UseRequestLocalization();
app.UseSecurityHeaders();
app.UseStatementCountHeader();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseHsts(); // only ever sent over HTTPS (TLS at Kestrel, or at a proxy with forwarded headers)
if (corsOrigins.Length > 0) app.UseCors();
app.UseThinClient();
app.UseMiddleware<RequestLimitsMiddleware>(limits);
app.UseAuthentication();
app.UseRateLimitHeaders();
SessionAuthenticationHandler.UseCsrfProtection(app);
app.UseRateLimiter();
app.UseAuthorization();
app.UseAuditReceipts();
app.UseMiddleware<ReferralNetwork.Api.Strictness.StrictBodyMiddleware>();
app.UseIdempotency();
// Protocol step texts are answered in the reader's language (issue 23).
app.Use((context, next) =>
{
    context.RequestServices.GetRequiredService<ReaderLanguage>().Language = StepLanguages.FromAcceptLanguage(context.Request.Headers.AcceptLanguage);
    return next(context);
});
app.UseReferralNetworkOpenApi();
app.MapReferralNetworkApi();
app.MapReferralNetworkMetrics(observability);

switch (command)
{
    case "openapi":
        await OpenApiCommand.WriteAsync(app, args.Skip(1).FirstOrDefault(a => !a.StartsWith('-')) ?? "openapi/referral-network.v1.json");
        return 0;
    case "migrate":
        await app.Services.GetRequiredService<Migrator>().MigrateAsync(CancellationToken.None);
        Console.WriteLine("Migrations applied.");
        return 0;
    case "seed-demo":
        await app.Services.GetRequiredService<Migrator>().MigrateAsync(CancellationToken.None);
        await SeedDemoCommand.RunAsync(app.Services, Console.Out, CancellationToken.None);
        return 0;
    case "rotate-master-key":
        return await MasterKeyRotation.RunCommandAsync(app.Services, Console.Out, Console.Error, CancellationToken.None);
    case "backup" or "restore" or "verify-backup":
        return await BackupCommands.RunAsync(command, args, app.Services, Console.Out, Console.Error, CancellationToken.None);
    case "serve":
        break;
    default:
        Console.Error.WriteLine($"Unknown command '{command}'. Commands: serve (default), migrate, seed-demo, rotate-master-key, backup <file>, restore <file>, verify-backup [<file>], openapi [file].");
        return 2;
}

var database = app.Configuration.GetSection("Database").Get<DatabaseOptions>() ?? new DatabaseOptions();
if (database.MigrateOnStartup) await app.Services.GetRequiredService<Migrator>().MigrateAsync(CancellationToken.None);
await using (var scope = app.Services.CreateAsyncScope())
    await scope.ServiceProvider.GetRequiredService<NetworkAdminBootstrap>().RunAsync(app.Configuration["Bootstrap:NetworkAdminKey"], CancellationToken.None);
if (seedDemo) await SeedDemoCommand.RunAsync(app.Services, Console.Out, CancellationToken.None);


await app.RunAsync();
return 0;
