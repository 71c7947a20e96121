using System.Data.Common;
using System.Net.Http.Headers;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using ReferralNetwork.Application.Features.ApiKeys;

namespace ReferralNetwork.Api.Tests.Infrastructure;

/// <summary>
/// The API in-process over a real database of one engine, one per test class. Time is a FakeTimeProvider that tests
/// move; the bootstrap network-admin key is configured exactly as an operator would.
/// </summary>
public abstract class ApiFixture : IAsyncLifetime
{
    public static readonly string MasterKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private WebApplicationFactory<Program>? _factory;

    public ITestDatabase Database { get; private set; } = null!;
    public string AdminKey { get; } = ApiKeySecrets.NewKey();
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero));
    public LogCapture Logs { get; } = new();
    public WebApplicationFactory<Program> Factory => _factory ?? throw new InvalidOperationException("Not started.");
    protected string DataDirectory { get; } = Directory.CreateTempSubdirectory("rn-data-").FullName;

    /// <summary>Extra configuration for a test class (e.g. a smaller body limit).</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    protected abstract Task<ITestDatabase> CreateDatabaseAsync();

    /// <summary>Extra services for a test class (e.g. a fault injection seam).</summary>
    protected virtual void ConfigureServices(IServiceCollection services) { }

    public async Task InitializeAsync()
    {
        Database = await CreateDatabaseAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Database:Provider", Database.Provider);
            web.UseSetting("ConnectionStrings:ReferralNetwork", Database.ConnectionString);
            web.UseSetting("Storage:DataDirectory", DataDirectory);
            web.UseSetting("Encryption:MasterKey", MasterKey);
            web.UseSetting("Audit:CheckpointSigningKey", ApiProcess.CheckpointSigningKeyPem);
            web.UseSetting("Bootstrap:NetworkAdminKey", AdminKey);
            web.UseSetting("Workers:Enabled", "false");
            web.UseSetting("RateLimiting:Enabled", "false");
            foreach (var (key, value) in Settings) web.UseSetting(key, value);
            web.UseSetting("Logging:LogLevel:Default", "Trace");
            web.UseSetting("Logging:LogLevel:Microsoft", "Trace");
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton<TimeProvider>(Time);
                services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(Logs);
                ConfigureServices(services);
            });
        });
        _ = _factory.Server; // start: migrations and bootstrap run now
    }

    public HttpClient Client(string? key = null)
    {
        var client = Factory.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public HttpClient Admin() => Client(AdminKey);

    /// <summary>
    /// Each organisation's first org_admin key, made by the network admin (the only key it may make there); every other
    /// key of the organisation is made with it, as the organisation's own admin would (see <see cref="TestNetwork.KeyAsync"/>).
    /// </summary>
    public System.Collections.Concurrent.ConcurrentDictionary<Guid, Lazy<Task<string>>> OrganisationAdmins { get; } = new();

    public async Task<DbConnection> OpenAsync()
    {
        DbConnection connection = Database.Provider switch
        {
            "postgres" => new NpgsqlConnection(Database.ConnectionString),
            "sqlserver" => new Microsoft.Data.SqlClient.SqlConnection(Database.ConnectionString),
            _ => new SqliteConnection(Database.ConnectionString),
        };
        await connection.OpenAsync();
        return connection;
    }

    public static readonly string[] Tables =
    [
        "organisations", "organisation_services", "organisation_languages", "api_keys", "persons", "consents", "protocols", "referrals",
        "referral_services", "referral_observers", "referral_timeline", "referral_notes", "responsibility_periods", "deadline_breaches", "referral_duties",
        "referral_escalations",
        "idempotency_keys", "outbox_messages", "audit_events", "audit_stream_heads", "webhook_subscriptions", "webhook_deliveries", "webhook_attempts", "audit_checkpoints", "audit_checkpoint_heads",
        "audit_log_entries", "audit_log_nodes", "audit_log_checkpoints", "audit_log_cosignatures", "users", "user_roles", "user_sessions",
        "attachments", "attachment_chunks",
    ];

    /// <summary>Row counts of every table: a rejected request must leave them all unchanged.</summary>
    public async Task<IReadOnlyDictionary<string, long>> RowCountsAsync()
    {
        await using var connection = await OpenAsync();
        var counts = new Dictionary<string, long>();
        foreach (var table in Tables) counts[table] = await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
        return counts;
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null) await _factory.DisposeAsync();
        await Database.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}

public class SqliteApiFixture : ApiFixture
{
    protected override Task<ITestDatabase> CreateDatabaseAsync() => Task.FromResult<ITestDatabase>(new SqliteTestDatabase());
}

public class PostgresApiFixture : ApiFixture
{
    protected override async Task<ITestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}

public class SqlServerApiFixture : ApiFixture
{
    protected override async Task<ITestDatabase> CreateDatabaseAsync() => await SqlServerTestDatabase.CreateAsync();
}
