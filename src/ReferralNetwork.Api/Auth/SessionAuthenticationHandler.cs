using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using ReferralNetwork.Api.ErrorHandling;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Users;
using ReferralNetwork.Infrastructure.Auth;

namespace ReferralNetwork.Api.Auth;

/// <summary>
/// The thin client's session cookie (issue 16). An unknown, ended or expired session is a 401 problem with
/// <c>reason: session_expired</c>, so the client can ask the person to sign in again.
/// </summary>
public sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    SessionAuthenticator authenticator, CurrentPrincipal current, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Session";
    public const string CookieName = "rn_session";
    public const string CsrfHeader = "X-CSRF-Token";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Cookies.TryGetValue(CookieName, out var sessionId) || string.IsNullOrEmpty(sessionId)) return AuthenticateResult.NoResult();
        var principal = await authenticator.AuthenticateAsync(sessionId, Context.RequestAborted);
        if (principal is null) return AuthenticateResult.Fail("session_expired");
        current.Principal = principal;
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, principal.Id.ToString()), new Claim("organisation", principal.OrganisationId.ToString())], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        var expired = (await HandleAuthenticateOnceSafeAsync()).Failure is not null;
        if (expired) Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/" });
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = 401, Title = "Unauthorized", Type = ProblemTypes.For(401),
                Detail = expired ? "Your session has ended (signed out, expired or revoked); sign in again." : "Sign in, or send an API key: Authorization: Bearer rn_…",
                Extensions = { ["reason"] = expired ? "session_expired" : "credentials_missing" },
            },
        });
    }

    /// <summary>
    /// A state-changing request made with the session cookie must carry the session's CSRF token (from sign-in or
    /// <c>GET /session</c>): 403 otherwise, before anything runs. SameSite=Strict already keeps the cookie off cross-site
    /// requests; the token is the second, independent guard. Requests with an API key carry no cookie authority and are not checked.
    /// </summary>
    public static IApplicationBuilder UseCsrfProtection(IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var principal = context.RequestServices.GetRequiredService<CurrentPrincipal>().Principal;
        if (principal?.SessionIdHash is { } hash && context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is null
            && !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
            && !HttpMethods.IsOptions(context.Request.Method))
        {
            var sent = context.Request.Headers[CsrfHeader].ToString();
            var expected = UserSecrets.CsrfToken(hash);
            if (sent.Length == 0 || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(sent), Encoding.ASCII.GetBytes(expected)))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails =
                    {
                        Status = 403, Title = "Forbidden.", Type = ProblemTypes.For(403),
                        Detail = $"A request made with the session cookie that changes something must send the session's CSRF token in {CsrfHeader}.",
                        Extensions = { ["reason"] = sent.Length == 0 ? "csrf_token_missing" : "csrf_token_invalid" },
                    },
                });
                return;
            }
        }
        await next(context);
    });
}
