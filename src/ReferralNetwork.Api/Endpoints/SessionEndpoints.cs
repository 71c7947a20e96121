using Mediator;
using Microsoft.AspNetCore.Http.HttpResults;
using ReferralNetwork.Api.Auth;
using ReferralNetwork.Api.ErrorHandling;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Sessions;
using ReferralNetwork.Application.Features.Users;

namespace ReferralNetwork.Api.Endpoints;

public sealed record SignInRequest(string? Username, string? Password, string? Totp = null);

public sealed record ActivationRequest(string? Username, string? ActivationSecret, string? Password);

public sealed record CreateUserRequest(string? Username, string? DisplayName, IReadOnlyList<string>? Roles, string? Email = null);

public sealed record UpdateUserRequest(string? DisplayName = null, IReadOnlyList<string>? Roles = null, bool? Active = null);

/// <summary>
/// An organisation's own OpenID Connect provider that the thin client may sign in through (authorization code with PKCE,
/// as the public client <see cref="ClientId"/>): send the access token it gives as the bearer credential of
/// <c>POST /api/v1/session/provider</c> to get a session.
/// </summary>
public sealed record IdentityProviderView(string Id, string DisplayName, string Issuer, Guid OrganisationId, string ClientId, string Scope,
    string AuthorizationEndpoint, string TokenEndpoint);

/// <summary>Named people (issue 16): the organisation admin's user management, and the thin client's cookie session.</summary>
public static class SessionEndpoints
{
    private static void AppendSessionCookie(HttpContext http, IHostEnvironment environment, string sessionId)
    {
        http.Response.Cookies.Append(SessionAuthenticationHandler.CookieName, sessionId, new CookieOptions
        {
            HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true,
            // No Expires: a browser-session cookie. The server enforces the idle and absolute limits itself.
            Secure = !environment.IsDevelopment() || http.Request.IsHttps,
        });
        http.Response.Headers.CacheControl = "no-store";
    }

    public static void MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        // Sign-in and activation are the two routes anyone may call; their messages are declared anonymous too.
        var open = app.MapGroup("/api/v1/session").WithTags("Session").AllowAnonymous();
        open.MapPost("/", async Task<IResult> (SignInRequest body, IMediator mediator, HttpContext http, IHostEnvironment environment, CancellationToken ct) =>
            {
                var outcome = await mediator.Send(new SignInCommand(body.Username, body.Password, body.Totp), ct);
                if (outcome.Session is null)
                {
                    if (outcome.RetryAfter is { } retry)
                        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling((retry - DateTimeOffset.UtcNow).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return TypedResults.Problem(statusCode: 401, title: "Unauthorized", detail: outcome.Message, type: ProblemTypes.For(401),
                        extensions: new Dictionary<string, object?> { ["reason"] = outcome.Reason });
                }
                AppendSessionCookie(http, environment, outcome.SessionId!);
                return TypedResults.Ok(outcome.Session);
            })
            .WithName("SignIn").WithSummary("Signs a person in with username, password and (where due) a TOTP code: an HttpOnly session cookie and the CSRF token.")
            .Produces<SessionView>().Problems(400, 413, 415);

        open.MapPost("/activation", async (ActivationRequest body, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ActivateCommand(body.Username, body.ActivationSecret, body.Password), ct)))
            .WithName("Activate").WithSummary("Sets the password with the activation secret and, where a second factor is due, returns the TOTP secret to enrol.")
            .Problems(400, 413, 415);

        open.MapGet("/providers", async (OidcIssuers issuers, ILoggerFactory loggers, CancellationToken ct) =>
            {
                var items = new List<IdentityProviderView>();
                foreach (var issuer in issuers.All.Where(i => i.Options.ClientId is not null))
                {
                    try
                    {
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        timeout.CancelAfter(TimeSpan.FromSeconds(5));
                        var metadata = await issuer.Metadata.GetConfigurationAsync(timeout.Token);
                        items.Add(new IdentityProviderView(issuer.Id, issuer.DisplayName, issuer.Issuer, issuer.Options.OrganisationId, issuer.Options.ClientId!,
                            issuer.Options.Scope, metadata.AuthorizationEndpoint, metadata.TokenEndpoint));
                    }
                    catch (Exception e) when (e is InvalidOperationException or IOException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
                    {
                        // An unreachable provider is left out of the list, not an error: its people see it again once it answers.
                        loggers.CreateLogger("ReferralNetwork.Oidc").LogWarning(e, "Metadata of issuer {Issuer} could not be fetched", issuer.Issuer);
                    }
                }
                return TypedResults.Ok(new Page<IdentityProviderView>(items, null));
            })
            .WithName("ListIdentityProviders").WithSummary("The organisations' own OpenID Connect providers the thin client may sign in through (none unless configured).")
            .Produces<Page<IdentityProviderView>>();

        var session = app.MapApiGroup("/session", "Session");
        session.MapPost("/provider", async (IMediator mediator, HttpContext http, IHostEnvironment environment, CancellationToken ct) =>
            {
                var outcome = await mediator.Send(new StartProviderSessionCommand(), ct);
                AppendSessionCookie(http, environment, outcome.SessionId!);
                return TypedResults.Ok(outcome.Session);
            })
            .WithName("StartProviderSession")
            .WithSummary("Exchanges an access token of the organisation's own OpenID Connect provider (the bearer credential) for a session cookie and the CSRF token.")
            .Produces<SessionView>().Problems(403, 404);
        session.MapGet("/", async (IMediator mediator, CancellationToken ct) => TypedResults.Ok(await mediator.Send(new GetSessionQuery(), ct)))
            .WithName("GetSession").WithSummary("Who is signed in with this cookie, the CSRF token, and when the session ends.")
            .Problems(403, 404);
        session.MapDelete("/", async (IMediator mediator, HttpContext http, CancellationToken ct) =>
            {
                var revoked = await mediator.Send(new SignOutCommand(), ct);
                http.Response.Cookies.Delete(SessionAuthenticationHandler.CookieName, new CookieOptions { Path = "/" });
                return TypedResults.Ok(revoked);
            })
            .WithName("SignOut").WithSummary("Signs out: the session ends now.")
            .Problems(403, 404);

        var users = app.MapApiGroup("/organisations/{organisationId}/users", "Users");
        users.MapPost("/", async Task<Created<CreatedUserView>> (Guid organisationId, CreateUserRequest body, IMediator mediator, CancellationToken ct) =>
            {
                var user = await mediator.Send(new CreateUserCommand(organisationId, body.Username, body.DisplayName, body.Email, body.Roles), ct);
                return TypedResults.Created($"/api/v1/organisations/{organisationId}/users/{user.Id}", user);
            })
            .WithName("CreateUser").WithSummary("Adds a person to the organisation (its org admin); the activation secret is in this answer only.")
            .Problems(400, 403, 404, 409, 413, 415, 422);
        users.MapGet("/", async (Guid organisationId, IMediator mediator, CancellationToken ct, string? cursor = null, int? limit = null) =>
                TypedResults.Ok(await mediator.Send(new ListUsersQuery(organisationId, cursor, limit), ct)))
            .WithName("ListUsers").WithSummary("The organisation's people, a page at a time.")
            .Produces<Page<UserView>>().Problems(400, 403, 404);
        users.MapGet("/{userId}", async (Guid organisationId, Guid userId, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new GetUserQuery(organisationId, userId), ct)))
            .WithName("GetUser").WithSummary("One person of the organisation.")
            .Problems(403, 404);
        users.MapPatch("/{userId}", async (Guid organisationId, Guid userId, UpdateUserRequest body, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new UpdateUserCommand(organisationId, userId, body.DisplayName, body.Roles, body.Active), ct)))
            .WithName("UpdateUser").WithSummary("Changes a person's display name, roles or active flag; deactivation ends their sessions at once.")
            .Problems(400, 403, 404, 412, 413, 415, 422);
        users.MapPost("/{userId}/reset", async (Guid organisationId, Guid userId, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ResetUserCommand(organisationId, userId), ct)))
            .WithName("ResetUser").WithSummary("Clears the password and second factor, ends every session, and issues a new activation secret (shown once).")
            .Problems(403, 404, 412);
        users.MapDelete("/{userId}/sessions", async (Guid organisationId, Guid userId, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new RevokeUserSessionsCommand(organisationId, userId), ct)))
            .WithName("RevokeUserSessions").WithSummary("Signs the person out everywhere (the person themself, or their organisation's admin).")
            .Problems(403, 404);
    }
}
