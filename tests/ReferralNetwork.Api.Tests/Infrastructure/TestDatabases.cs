using Microsoft.Data.SqlClient;
using Npgsql;

namespace ReferralNetwork.Api.Tests.Infrastructure;

/// <summary>A real, empty database of one engine, created for one test class and dropped after it.</summary>
public interface ITestDatabase : IAsyncDisposable
{
    string Provider { get; }
    string ConnectionString { get; }
}

public sealed class SqliteTestDatabase : ITestDatabase
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rn-sqlite-").FullName;

    public string Provider => "sqlite";
    public string ConnectionString => $"Data Source={Path.Combine(_directory, "referralnetwork.db")};Pooling=True";
    public string DataDirectory => _directory;

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A database on the throwaway PostgreSQL cluster that scripts/test.sh starts (REFERRALNET_TEST_POSTGRES). Without
/// that variable the PostgreSQL tests FAIL; only REFERRALNET_TEST_SQLITE_ONLY=1 (the quick loop) excludes them.
/// </summary>
public sealed class PostgresTestDatabase : ITestDatabase
{
    public const string Variable = "REFERRALNET_TEST_POSTGRES";
    private readonly string _admin;
    private readonly string _name;

    private PostgresTestDatabase(string admin, string name, string connectionString)
    {
        _admin = admin;
        _name = name;
        ConnectionString = connectionString;
    }

    public string Provider => "postgres";
    public string ConnectionString { get; }

    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        var admin = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(admin))
            throw new InvalidOperationException($"{Variable} is not set: run the suite with scripts/test.sh, which starts PostgreSQL (or pass --sqlite-only for the quick loop).");
        var builder = new NpgsqlConnectionStringBuilder(admin);
        var name = "rn_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        builder.Database = name;
        builder.MaxPoolSize = 40;
        return new PostgresTestDatabase(admin, name, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// A database on the SQL Server named by REFERRALNET_TEST_SQLSERVER (a connection string to master, e.g. with
/// `Connect Timeout=2`). Opt-in: scripts/test.sh leaves the SqlServer classes out unless the variable is set, because
/// no machine here can run SQL Server. Created with READ_COMMITTED_SNAPSHOT ON, as deploy/ recommends.
/// </summary>
public sealed class SqlServerTestDatabase : ITestDatabase
{
    public const string Variable = "REFERRALNET_TEST_SQLSERVER";
    private readonly string _master;
    private readonly string _name;

    private SqlServerTestDatabase(string master, string name, string connectionString)
    {
        _master = master;
        _name = name;
        ConnectionString = connectionString;
    }

    public string Provider => "sqlserver";
    public string ConnectionString { get; }

    public static async Task<SqlServerTestDatabase> CreateAsync()
    {
        var master = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(master))
            throw new InvalidOperationException($"{Variable} is not set: SQL Server tests are opt-in (set it to a connection string to a server).");
        var name = "rn_" + Guid.NewGuid().ToString("N");
        await using (var connection = new SqlConnection(master))
        {
            await connection.OpenAsync();
            await using var create = new SqlCommand($"CREATE DATABASE [{name}]; ALTER DATABASE [{name}] SET READ_COMMITTED_SNAPSHOT ON;", connection);
            await create.ExecuteNonQueryAsync();
        }
        var builder = new SqlConnectionStringBuilder(master) { InitialCatalog = name };
        return new SqlServerTestDatabase(master, name, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        SqlConnection.ClearAllPools();
        await using var connection = new SqlConnection(_master);
        await connection.OpenAsync();
        await using var drop = new SqlCommand($"ALTER DATABASE [{_name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{_name}];", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
