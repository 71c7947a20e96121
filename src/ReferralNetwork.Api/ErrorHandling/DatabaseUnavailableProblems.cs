using System.Globalization;
using Microsoft.Extensions.Options;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Api.ErrorHandling;

/// <summary>
/// A transient database failure (<see cref="DatabaseFailures"/>) is the server's trouble, not the request's: it is
/// answered 503 with <c>Retry-After</c> and a stable <c>code</c> — <c>database_unavailable</c> (restart, failover,
/// killed connections, a lock held too long, a timeout) or <c>storage_unavailable</c> (disk full, read-only file) —
/// never 500. The command's transaction was rolled back, so retrying is safe; with an Idempotency-Key it is exactly once.
/// Observing the failure also clears the connection pool when the connection broke, so the next request reconnects.
/// </summary>
public static class DatabaseUnavailableProblems
{
    public static (int Status, string Title, string? Detail, IReadOnlyDictionary<string, object?> Extensions)? Map(HttpContext context, Exception exception)
    {
        var factory = context.RequestServices.GetService<ConnectionFactory>();
        if (factory?.Observe(exception) is not { } failure) return null;
        var options = context.RequestServices.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        var storage = failure.Kind == DatabaseFailureKind.StorageUnavailable;
        var retryAfter = Math.Max(1, storage ? options.StorageRetryAfterSeconds : options.RetryAfterSeconds);
        context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseUnavailableProblems))
            .LogWarning("{Method} {Path} answered 503 {Code}: {Reason} ({Exception}).", context.Request.Method, context.Request.Path, failure.Code, failure.Reason,
                exception.GetType().Name);
        return storage
            ? (503, "Storage is unavailable.", "The database cannot store anything right now (disk full or read-only). Nothing of this request was written; retry after the time in Retry-After.",
                new Dictionary<string, object?> { ["code"] = failure.Code })
            : (503, "The database is unavailable.", "The database could not serve this request right now. Nothing of it was written; retry after the time in Retry-After (with the same Idempotency-Key).",
                new Dictionary<string, object?> { ["code"] = failure.Code });
    }
}
