using ReferralNetwork.Api.ThinClient;

namespace ReferralNetwork.Api.Security;

/// <summary>
/// Headers every answer carries, set in <see cref="HttpResponse.OnStarting(Func{Task})"/> — just before the headers go
/// out — rather than at the start of the request: the exception handler clears the response (headers included) before it
/// writes its problem, and a header set early would be lost on exactly the 400/403/404 answers it produces.
/// <list type="bullet">
/// <item><c>X-Content-Type-Options: nosniff</c> and <c>Referrer-Policy: no-referrer</c> on everything.</item>
/// <item><c>Cache-Control: no-store</c> on every <c>/api</c> answer: most carry personal data or secrets (identities, a new
///   API key, a webhook secret, referrals with their reasons, replays of those), and no API answer is worth keeping in a
///   shared or browser cache, so one rule covers them all, errors included.</item>
/// <item>The thin client (<c>/app</c>): a strict Content-Security-Policy, <c>X-Frame-Options: DENY</c>, and
///   <c>Cache-Control: no-cache</c> (revalidated, so a deployment's new files are used at once).</item>
/// </list>
/// </summary>
public static class SecurityHeaders
{
    /// <summary>First in the pipeline, so that its callback is registered before anything can fail.</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        context.Response.OnStarting(static state =>
        {
            Apply((HttpContext)state);
            return Task.CompletedTask;
        }, context);
        return next(context);
    });

    private static void Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        var path = context.Request.Path;
        if (path.StartsWithSegments("/api"))
        {
            headers.CacheControl = "no-store";
            // HTTP/1.0 caches and the exception handler's own cache headers: nothing else may contradict no-store.
            headers.Remove("Pragma");
            headers.Remove("Expires");
        }
        else if (path.StartsWithSegments("/app"))
        {
            headers.ContentSecurityPolicy = context.RequestServices.GetService<ReferralNetwork.Api.Auth.OidcIssuers>()?.ContentSecurityPolicy ?? ThinClientSetup.ContentSecurityPolicy;
            headers.XFrameOptions = "DENY";
            headers.CacheControl = "no-cache";
        }
    }
}
