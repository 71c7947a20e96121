using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Auth;

using ReferralNetwork.Api.ErrorHandling;

namespace ReferralNetwork.Api.Auth;

/// <summary>
/// <c>Authorization: Bearer rn_…</c>. A missing, malformed, unknown or revoked key is a 401 problem; roles are checked
/// later, in the one authorization behaviour of the pipeline.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyAuthenticator authenticator, CurrentPrincipal current, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.Fail("Use Authorization: Bearer <API key>.");
        var principal = await authenticator.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (principal is null) return AuthenticateResult.Fail("The API key is unknown or revoked.");
        current.Principal = principal;
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, principal.Id.ToString()), new Claim("organisation", principal.OrganisationId.ToString())],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = 401, Title = "Unauthorized", Detail = failure ?? "An API key is required: Authorization: Bearer rn_…", Type = ProblemTypes.For(401) },
        });
    }
}
