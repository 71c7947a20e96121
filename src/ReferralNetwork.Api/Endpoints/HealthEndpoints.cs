using Dapper;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Api.Endpoints;

public static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/health").WithTags("Health").AllowAnonymous();
        group.MapGet("/live", () => TypedResults.Ok(new HealthView("live")))
            .WithName("Live").WithSummary("The process is up.");
        group.MapGet("/ready", async Task<Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<HealthView>, Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<HealthView>>> (ConnectionFactory factory, CancellationToken ct) =>
            {
                try
                {
                    await using var connection = await factory.OpenAsync(ct);
                    // Migrated means the catalogue exists and is filled.
                    var services = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM services", cancellationToken: ct));
                    return services > 0 ? TypedResults.Ok(new HealthView("ready")) : TypedResults.Json(new HealthView("not migrated"), statusCode: 503);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    return TypedResults.Json(new HealthView("database unreachable"), statusCode: 503);
                }
            })
            .WithName("Ready").WithSummary("The database is reachable and migrated.")
            .Produces<HealthView>(503);
    }
}

public sealed record HealthView(string Status);
