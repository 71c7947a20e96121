using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using ReferralNetwork.Api.ErrorHandling;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Auth;

namespace ReferralNetwork.Api.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;JWT&gt;</c> from an organisation's own OpenID Connect provider (issue 16 item 3). The token
/// must come from a configured issuer (<c>iss</c>), be meant for this API (<c>aud</c>), be signed with one of the keys the
/// issuer publishes (fetched through its metadata; an unknown key id refreshes them once) and be within its lifetime by
/// the API's clock. Its username claim then names an active user of the issuer's organisation, who is the actor.
/// Every refusal is a 401 problem whose <c>reason</c> says which check failed.
/// </summary>
public sealed class OidcAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    OidcIssuers issuers, IssuerUserAuthenticator users, CurrentPrincipal current, IProblemDetailsService problems, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Oidc";

    /// <summary>Clocks of the API and the provider may differ this much.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    private static readonly JsonWebTokenHandler Tokens = new() { MapInboundClaims = false };

    private sealed record Refusal(string Reason, string Message);

    private sealed class RefusedException(Refusal refusal) : Exception(refusal.Message)
    {
        public Refusal Refusal { get; } = refusal;
    }

    /// <summary>Whether an Authorization header carries a JWT (three base64url parts) rather than an <c>rn_</c> API key.</summary>
    public static bool CarriesJwt(string authorization) =>
        authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization["Bearer ".Length..].Trim() is var token
        && !token.StartsWith("rn_", StringComparison.Ordinal) && token.Count(c => c == '.') == 2;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!CarriesJwt(header)) return AuthenticateResult.NoResult();
        var token = header["Bearer ".Length..].Trim();
        try
        {
            var principal = await AuthenticateAsync(token);
            current.Principal = principal;
            var identity = new ClaimsIdentity(
                [new Claim(ClaimTypes.NameIdentifier, principal.Id.ToString()), new Claim("organisation", principal.OrganisationId.ToString())], SchemeName);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
        }
        catch (RefusedException refused)
        {
            Logger.LogInformation("Bearer JWT refused: {Reason}", refused.Refusal.Reason);
            return AuthenticateResult.Fail(refused);
        }
    }

    private async Task<Principal> AuthenticateAsync(string token)
    {
        if (token.Length > 16 * 1024 || !Tokens.CanReadToken(token)) throw Refuse("token_invalid", "The bearer token is not a JWT.");
        JsonWebToken unverified;
        try
        {
            unverified = Tokens.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            throw Refuse("token_invalid", "The bearer token is not a JWT.");
        }
        // The issuer picks the keys; nothing of the token is believed before its signature is checked against them.
        var issuer = issuers.Find(unverified.Issuer) ?? throw Refuse("issuer_unknown", "The token's issuer is not one this API trusts.");
        var result = await ValidateAsync(token, issuer, refreshed: false);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // The provider may have rotated its keys since they were fetched: fetch them once more.
            issuer.Metadata.RequestRefresh();
            result = await ValidateAsync(token, issuer, refreshed: true);
        }
        if (!result.IsValid)
            throw result.Exception switch
            {
                SecurityTokenExpiredException or SecurityTokenNotYetValidException or SecurityTokenNoExpirationException =>
                    Refuse("token_expired", "The token has expired (or is not valid yet): sign in with your organisation again."),
                SecurityTokenInvalidAudienceException => Refuse("audience_invalid", "The token is not meant for this API (aud)."),
                SecurityTokenInvalidIssuerException => Refuse("issuer_unknown", "The token's issuer is not one this API trusts."),
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException =>
                    Refuse("signature_invalid", "The token's signature does not check against the issuer's published keys."),
                InvalidOperationException or IOException or HttpRequestException =>
                    Refuse("issuer_unavailable", "The issuer's keys could not be fetched; try again later."),
                _ => Refuse("token_invalid", "The token is not valid."),
            };
        var username = result.Claims.TryGetValue(issuer.Options.UsernameClaim, out var claim) ? claim as string : null;
        if (string.IsNullOrWhiteSpace(username)) throw Refuse("user_unknown", $"The token has no {issuer.Options.UsernameClaim} claim naming a user.");
        return await users.AuthenticateAsync(issuer.Options.OrganisationId, username, issuer.Issuer, Context.RequestAborted)
               ?? throw Refuse("user_unknown", "The token names no active user of the issuer's organisation: ask your organisation's admin.");
    }

    private async Task<TokenValidationResult> ValidateAsync(string token, TrustedIssuer issuer, bool refreshed)
    {
        Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration metadata;
        try
        {
            metadata = await issuer.Metadata.GetConfigurationAsync(Context.RequestAborted);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or HttpRequestException)
        {
            Logger.LogWarning(e, "Metadata of issuer {Issuer} could not be fetched (refreshed: {Refreshed})", issuer.Issuer, refreshed);
            return new TokenValidationResult { IsValid = false, Exception = e };
        }
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer.Issuer,
            ValidAudience = issuer.Options.Audience,
            IssuerSigningKeys = metadata.SigningKeys,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512, SecurityAlgorithms.RsaSsaPssSha256,
                SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384],
            // By the API's clock (the one every deadline and session uses), with a little skew.
            LifetimeValidator = (notBefore, expires, _, _) => Lifetime(notBefore, expires),
            TryAllIssuerSigningKeys = false,
        };
        return await Tokens.ValidateTokenAsync(token, parameters);
    }

    private bool Lifetime(DateTime? notBefore, DateTime? expires)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (expires is null) throw new SecurityTokenNoExpirationException("The token has no expiry.");
        if (notBefore is { } nbf && nbf > now + ClockSkew) throw new SecurityTokenNotYetValidException("The token is not valid yet.") { NotBefore = nbf };
        if (expires.Value < now - ClockSkew) throw new SecurityTokenExpiredException("The token has expired.") { Expires = expires.Value };
        return true;
    }

    private static RefusedException Refuse(string reason, string message) => new(new Refusal(reason, message));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        var refusal = (await HandleAuthenticateOnceSafeAsync()).Failure is RefusedException refused
            ? refused.Refusal
            : new Refusal("credentials_missing", "Sign in, or send an API key: Authorization: Bearer rn_…");
        Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{refusal.Reason}\"";
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
