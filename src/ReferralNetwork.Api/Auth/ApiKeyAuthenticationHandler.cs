using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using ReferralNetwork.Api.ErrorHandling;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Auth;

namespace ReferralNetwork.Api.Auth;

/// <summary>
/// <c>Authorization: Bearer rn_…</c>. A missing, malformed, unknown, revoked or expired key, or a key of a deactivated
/// organisation, is a 401 problem whose <c>reason</c> says which (<c>credentials_missing</c>, <c>invalid_key</c>,
/// <c>key_expired</c>, <c>organisation_inactive</c>); roles are checked later, in the one authorization behaviour of the
/// pipeline.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyAuthenticator authenticator, CurrentPrincipal current, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    private static readonly ApiKeyRefusal Missing = new("credentials_missing", "An API key is required: Authorization: Bearer rn_…");
    private static readonly ApiKeyRefusal WrongScheme = new("invalid_key", "Use Authorization: Bearer <API key>.");

    /// <summary>Carries the refusal from authentication to the challenge that answers it.</summary>
    private sealed class RefusedException(ApiKeyRefusal refusal) : Exception(refusal.Message)
    {
        public ApiKeyRefusal Refusal { get; } = refusal;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.Fail(new RefusedException(WrongScheme));
        var (principal, refusal) = await authenticator.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (principal is null) return AuthenticateResult.Fail(new RefusedException(refusal ?? ApiKeyRefusal.Invalid));
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
        var refusal = (await HandleAuthenticateOnceSafeAsync()).Failure is RefusedException refused ? refused.Refusal : Missing;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = 401, Title = "Unauthorized", Detail = refusal.Message, Type = ProblemTypes.For(401),
                Extensions = { ["reason"] = refusal.Reason },
            },
        });
    }
}
