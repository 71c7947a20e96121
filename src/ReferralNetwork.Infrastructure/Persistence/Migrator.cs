using System.Reflection;
using DbUp;
using DbUp.Engine;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ReferralNetwork.Infrastructure.Persistence;

/// <summary>Applies the embedded DbUp scripts of the configured dialect (Migrations/{sqlite,postgres,sqlserver}).</summary>
public sealed class Migrator(ConnectionFactory factory, ILogger<Migrator> logger)
{
    public static string FolderOf(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Sqlite => "sqlite",
        DatabaseProvider.Postgres => "postgres",
        _ => "sqlserver",
    };

    public static IReadOnlyList<string> ScriptNames(DatabaseProvider provider)
    {
        var marker = $".Migrations.{FolderOf(provider)}.";
        return typeof(Migrator).Assembly.GetManifestResourceNames().Where(n => n.Contains(marker, StringComparison.Ordinal))
            .Select(n => n[(n.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..]).Order(StringComparer.Ordinal).ToList();
    }

    public async Task MigrateAsync(CancellationToken ct)
    {
        if (factory.Provider == DatabaseProvider.Sqlite)
        {
            // The first open creates the file and switches it to WAL.
            await using var _ = await factory.OpenAsync(ct);
        }
        if (factory.Provider == DatabaseProvider.Postgres)
        {
            // Replicas starting together take turns: the advisory lock serialises migrations.
            await using var connection = await factory.OpenAsync(ct);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock(727274)", (NpgsqlConnection)connection))
                await lockCommand.ExecuteNonQueryAsync(ct);
            try
            {
                Run();
            }
            finally
            {
                await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(727274)", (NpgsqlConnection)connection);
                await unlock.ExecuteNonQueryAsync(CancellationToken.None);
            }
            return;
        }
        Run();
    }

    private void Run()
    {
        var marker = $".Migrations.{FolderOf(factory.Provider)}.";
        var builder = factory.Provider switch
        {
            DatabaseProvider.Sqlite => DeployChanges.To.SqliteDatabase(factory.ConnectionString),
            DatabaseProvider.Postgres => DeployChanges.To.PostgresqlDatabase(factory.ConnectionString),
            _ => DeployChanges.To.SqlDatabase(factory.ConnectionString),
        };
        var engine = builder
            .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), name => name.Contains(marker, StringComparison.Ordinal))
            .WithTransactionPerScript()
            .LogToNowhere()
            .Build();
        var result = engine.PerformUpgrade();
        if (!result.Successful)
            throw new InvalidOperationException($"Migration failed in {result.ErrorScript?.Name}: {result.Error.Message}", result.Error);
        foreach (var script in result.Scripts)
            logger.LogInformation("Applied migration {Script}", script.Name);
    }
}
