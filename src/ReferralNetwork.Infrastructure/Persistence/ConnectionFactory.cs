using System.Data.Common;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Npgsql;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Infrastructure.Persistence;

/// <summary>Creates open connections for the configured provider; one instance per process.</summary>
public sealed class ConnectionFactory : IDisposable
{
    private readonly NpgsqlDataSource? _postgres;

    public ConnectionFactory(DatabaseProvider provider, string connectionString)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Dialect = provider switch
        {
            DatabaseProvider.Sqlite => new SqliteDialect(),
            DatabaseProvider.Postgres => new PostgresDialect(),
            _ => new SqlServerDialect(),
        };
        if (provider == DatabaseProvider.Postgres) _postgres = NpgsqlDataSource.Create(connectionString);
    }

    public DatabaseProvider Provider { get; }
    public string ConnectionString { get; }
    public ISqlDialect Dialect { get; }

    public async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        switch (Provider)
        {
            case DatabaseProvider.Postgres:
                return await _postgres!.OpenConnectionAsync(ct);
            case DatabaseProvider.Sqlite:
                var sqlite = new SqliteConnection(ConnectionString);
                await sqlite.OpenAsync(ct);
                // WAL lets readers run beside the writer; synchronous=FULL makes an acknowledged commit survive power loss.
                await using (var pragma = sqlite.CreateCommand())
                {
                    pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;";
                    await pragma.ExecuteNonQueryAsync(ct);
                }
                return sqlite;
            default:
                var sql = new SqlConnection(ConnectionString);
                await sql.OpenAsync(ct);
                return sql;
        }
    }

    public void Dispose() => _postgres?.Dispose();
}
