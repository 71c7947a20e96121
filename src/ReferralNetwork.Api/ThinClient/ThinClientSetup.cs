using Microsoft.Extensions.FileProviders;

namespace ReferralNetwork.Api.ThinClient;

/// <summary>
/// The social workers' client: static files under /app/ that talk only to the public API with the worker's key.
/// Strict headers: nothing but our own origin may run script, load styles or frame the page.
/// </summary>
public static class ThinClientSetup
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

    /// <summary>
    /// The policy above, where organisations' own identity providers are configured with the origins of their issuers
    /// added to connect-src: the client redeems its authorization code at the provider's token endpoint (issue 16).
    /// </summary>
    public static string ContentSecurityPolicyWith(IEnumerable<string> issuers)
    {
        var origins = issuers.Select(i => new Uri(i).GetLeftPart(UriPartial.Authority)).Distinct(StringComparer.Ordinal).ToList();
        return origins.Count == 0 ? ContentSecurityPolicy : ContentSecurityPolicy.Replace("connect-src 'self'", "connect-src 'self' " + string.Join(' ', origins), StringComparison.Ordinal);
    }

    public static void UseThinClient(this WebApplication app)
    {
        var root = Path.Combine(app.Environment.ContentRootPath, "wwwroot", "app");
        if (!Directory.Exists(root)) root = Path.Combine(AppContext.BaseDirectory, "wwwroot", "app");
        var files = new PhysicalFileProvider(root);
        // Its headers (the policy above, X-Frame-Options, no-cache) are set by Security.SecurityHeaders with every other.
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.Value == "/app")
            {
                context.Response.Redirect("/app/");
                return;
            }
            await next(context);
        });
        app.UseDefaultFiles(new DefaultFilesOptions { RequestPath = "/app", FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { RequestPath = "/app", FileProvider = files });
    }
}
