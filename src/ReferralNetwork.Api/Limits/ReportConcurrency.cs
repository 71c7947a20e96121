using System.Security.Claims;
using System.Threading.RateLimiting;
using ReferralNetwork.Api.ErrorHandling;

namespace ReferralNetwork.Api.Limits;

/// <summary>Settings under <c>Reports:</c>.</summary>
public sealed class ReportsOptions
{
    /// <summary>Report queries (statistics, indicators, exports) one API key or user may run at the same time; more get 429.</summary>
    public int ConcurrentQueriesPerKey { get; set; } = 2;
}

/// <summary>
/// Report queries aggregate a whole period of the network: cheap one at a time, not eight at once from one key.
/// Each caller (API key or user) holds at most <see cref="ReportsOptions.ConcurrentQueriesPerKey"/> of them; one more is
/// answered 429 with Retry-After at once (no queue), before the database is touched.
/// </summary>
public sealed class ReportConcurrency(ReportsOptions options)
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = Math.Max(1, options.ConcurrentQueriesPerKey),
            QueueLimit = 0,
        }));

    public ReportsOptions Options => options;

    /// <summary>A lease for the caller, or one that was not acquired.</summary>
    public RateLimitLease Acquire(string caller) => _limiter.AttemptAcquire(caller);

    public static string CallerOf(HttpContext context) =>
        context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "anonymous:" + context.Connection.RemoteIpAddress;
}

public static class ReportConcurrencyExtensions
{
    public static IServiceCollection AddReportConcurrency(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSingleton(new ReportConcurrency(configuration.GetSection("Reports").Get<ReportsOptions>() ?? new ReportsOptions()));

    /// <summary>Runs the endpoints of <paramref name="builder"/> under the per-caller report concurrency limit.</summary>
    public static TBuilder WithReportConcurrency<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var concurrency = http.RequestServices.GetRequiredService<ReportConcurrency>();
            using var lease = concurrency.Acquire(ReportConcurrency.CallerOf(http));
            if (lease.IsAcquired) return await next(context);
            http.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem(statusCode: 429, title: ReferralNetwork.Api.Resources.ProblemTexts.Get("TooManyRequests"), type: ProblemTypes.For(429),
                detail: ReferralNetwork.Api.Resources.ProblemTexts.Format("ReportsBusy", concurrency.Options.ConcurrentQueriesPerKey));
        });
}
