namespace ReferralNetwork.Infrastructure.Persistence;

public enum DatabaseProvider { Sqlite, Postgres, SqlServer }

/// <summary>Settings under <c>Database:</c>; the connection string is <c>ConnectionStrings:ReferralNetwork</c>.</summary>
public sealed class DatabaseOptions
{
    public string Provider { get; set; } = "sqlite";
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>
    /// Seconds a single SQL command may run before it is cancelled (on SQLite: how long a statement keeps retrying a
    /// lock held by another process). Applied to the connection string when set; unset, the connection string's own
    /// value or the provider's default (30 s for all three) holds.
    /// </summary>
    public int CommandTimeoutSeconds { get; set; } = 30;

    /// <summary>SQLite's busy_timeout: how long one statement waits inside SQLite for another process's lock.</summary>
    public int BusyTimeoutMilliseconds { get; set; } = 10_000;

    /// <summary>SQLite: how long a write waits for this process's write gate before it is answered 503.</summary>
    public int WriteGateTimeoutSeconds { get; set; } = 30;

    /// <summary>Group commit: commands share commits (<see cref="GroupCommitOptions"/>).</summary>
    public GroupCommitOptions GroupCommit { get; set; } = new();

    /// <summary>The Retry-After (seconds) of a 503 <c>database_unavailable</c>.</summary>
    public int RetryAfterSeconds { get; set; } = 5;

    /// <summary>The Retry-After (seconds) of a 503 <c>storage_unavailable</c> (a full disk rarely frees itself in seconds).</summary>
    public int StorageRetryAfterSeconds { get; set; } = 60;

    /// <summary>
    /// Count every SQL statement the process runs (<see cref="StatementCounter"/>), for the statement-budget tests and the
    /// benchmark. SQLite only: Dapper chooses how to pass lists by the connection's type, so a wrapped PostgreSQL
    /// connection would get other SQL. Off by default.
    /// </summary>
    public bool CountStatements { get; set; }

    public DatabaseProvider ParsedProvider => Provider.ToLowerInvariant() switch
    {
        "sqlite" => DatabaseProvider.Sqlite,
        "postgres" or "postgresql" => DatabaseProvider.Postgres,
        "sqlserver" or "mssql" => DatabaseProvider.SqlServer,
        _ => throw new InvalidOperationException($"Database:Provider '{Provider}' is not one of sqlite, postgres, sqlserver."),
    };
}

/// <summary>Settings under <c>Storage:</c>.</summary>
public sealed class StorageOptions
{
    /// <summary>Where the SQLite file and generated development keys live.</summary>
    public string DataDirectory { get; set; } = "data";
}
