using Dapper;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Api.Endpoints;

public static class HealthEndpoints
{
    /// <summary>The longest /health/ready waits for the database before it answers 503.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(3);

    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/health").WithTags("Health").AllowAnonymous();
        group.MapGet("/live", () => TypedResults.Ok(new HealthView("live")))
            .WithName("Live").WithSummary("The process is up.");
        group.MapGet("/ready", async Task<Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<HealthView>, Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<HealthView>>> (ConnectionFactory factory, CancellationToken ct) =>
            {
                // Readiness answers within a few seconds whatever the database does: a server that accepts connections
                // and never answers must make the probe fail, not hang it (and the load balancer with it).
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(ReadyTimeout);
                try
                {
                    await using var connection = await factory.OpenAsync(timeout.Token);
                    // Migrated means the catalogue exists and is filled.
                    var services = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM services", cancellationToken: timeout.Token));
                    return services > 0 ? TypedResults.Ok(new HealthView("ready")) : TypedResults.Json(new HealthView("not migrated"), statusCode: 503);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // A broken connection clears the pool here too, so readiness returns as soon as the database does.
                    factory.Observe(e);
                    return TypedResults.Json(new HealthView("database unreachable"), statusCode: 503);
                }
            })
            .WithName("Ready").WithSummary("The database is reachable and migrated.")
            .Produces<HealthView>(503);
    }
}

public sealed record HealthView(string Status);
