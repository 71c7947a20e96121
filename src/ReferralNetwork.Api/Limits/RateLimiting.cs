using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using ReferralNetwork.Api.ErrorHandling;

namespace ReferralNetwork.Api.Limits;

/// <summary>Settings under <c>RateLimiting:</c>.</summary>
public sealed class RateLimitingOptions
{
    public bool Enabled { get; set; } = true;
    /// <summary>Requests per minute per API key (a token bucket refilled every second); anonymous calls share one bucket per address.</summary>
    public int PermitsPerMinute { get; set; } = 600;
}

/// <summary>
/// OWASP API4: one token bucket per API key, so one partner's runaway retry loop cannot starve the others. The
/// bucket lives in this process: with N replicas a key gets up to N times the rate (deploy/README.md).
/// </summary>
public static class RateLimiting
{
    public static IServiceCollection AddPerKeyRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("RateLimiting").Get<RateLimitingOptions>() ?? new RateLimitingOptions();
        var buckets = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                if (!options.Enabled || !context.Request.Path.StartsWithSegments("/api")) return RateLimitPartition.GetNoLimiter("unlimited");
                var principal = context.User.FindFirstValue(ClaimTypes.NameIdentifier);
                var partition = principal ?? "anonymous:" + context.Connection.RemoteIpAddress;
                var perSecond = Math.Max(1, options.PermitsPerMinute / 60);
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(1, options.PermitsPerMinute / 6), // bursts of up to ten seconds' worth
                    TokensPerPeriod = perSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
        services.AddSingleton(new RateLimitHeaders(buckets, options));
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = buckets;
            limiter.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                var problems = context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = { Status = 429, Title = ReferralNetwork.Api.Resources.ProblemTexts.Get("TooManyRequests"), Type = ProblemTypes.For(429),
                        Detail = $"This API key is over its limit of {options.PermitsPerMinute} requests a minute; retry after {seconds} s." },
                });
            };
        });
        return services;
    }

    /// <summary>Every answer under /api says how much of the caller's bucket is left (IETF RateLimit headers), so a partner can slow down before a 429.</summary>
    public static IApplicationBuilder UseRateLimitHeaders(this IApplicationBuilder app)
    {
        var headers = app.ApplicationServices.GetRequiredService<RateLimitHeaders>();
        return app.Use((context, next) =>
        {
            if (headers.Options.Enabled && context.Request.Path.StartsWithSegments("/api"))
                context.Response.OnStarting(() =>
                {
                    headers.Write(context);
                    return Task.CompletedTask;
                });
            return next(context);
        });
    }
}

/// <summary>
/// <c>RateLimit-Policy: "per-key";q=&lt;burst&gt;;w=&lt;seconds to refill&gt;</c> and <c>RateLimit: "per-key";r=&lt;left&gt;;t=&lt;seconds until full&gt;</c>
/// (draft-ietf-httpapi-ratelimit-headers), from the caller's own token bucket.
/// </summary>
public sealed class RateLimitHeaders(PartitionedRateLimiter<HttpContext> buckets, RateLimitingOptions options)
{
    public RateLimitingOptions Options => options;

    public void Write(HttpContext context)
    {
        var perSecond = Math.Max(1, options.PermitsPerMinute / 60);
        var burst = Math.Max(1, options.PermitsPerMinute / 6);
        var left = buckets.GetStatistics(context)?.CurrentAvailablePermits ?? burst;
        var full = (int)Math.Ceiling((burst - left) / (double)perSecond);
        context.Response.Headers["RateLimit-Policy"] = $"\"per-key\";q={burst};w={(int)Math.Ceiling(burst / (double)perSecond)}";
        context.Response.Headers["RateLimit"] = $"\"per-key\";r={Math.Max(0, left)};t={Math.Max(0, full)}";
    }
}
