using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Npgsql;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Infrastructure.Persistence;

/// <summary>Creates open connections for the configured provider; one instance per process.</summary>
public sealed class ConnectionFactory : IDisposable, IAsyncDisposable
{
    private static readonly object Configured = new();
    private readonly NpgsqlDataSource? _postgres;
    private readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> _configured = new();

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
        if (provider == DatabaseProvider.Sqlite)
        {
            WriteGate = new SemaphoreSlim(1, 1);
            _sqliteReadOnly = new SqliteConnectionStringBuilder(connectionString).Mode == SqliteOpenMode.ReadOnly;
        }
    }

    // A read-only SQLite connection (verify-backup on a copy) may not switch the journal mode: that is a write.
    private readonly bool _sqliteReadOnly;

    /// <summary>
    /// SQLite lets one transaction write at a time. Writers of this process queue here, asynchronously, before BEGIN
    /// IMMEDIATE, instead of inside SQLite's busy handler, which blocks a thread-pool thread and sleeps it 1–100 ms per
    /// retry (so the lock sat idle while the next writer slept, and threads ran out under load). Another process on the
    /// same file (a migration job, this API's own CLI commands) still meets busy_timeout. Null for server databases.
    /// </summary>
    public SemaphoreSlim? WriteGate { get; }

    /// <summary>
    /// The batching writer commands commit through (<c>Database:GroupCommit</c>, on by default), or null when group commit
    /// is off. Set once, at construction.
    /// </summary>
    public GroupCommitWriter? GroupCommit { get; private set; }

    public GroupCommitOptions? Grouping
    {
        init
        {
            if (value is { Enabled: true }) GroupCommit = new GroupCommitWriter(this, value);
        }
    }

    /// <summary>
    /// The right to write outside a batch (a worker's own transaction, an autocommit statement), held until disposed. On
    /// SQLite one writer at a time: the batching writer's turn (after it committed what it had open) or, without group
    /// commit, the write gate. Null for server databases, whose own locks suffice.
    /// </summary>
    public async ValueTask<IAsyncDisposable?> SoloWriteAsync(CancellationToken ct)
    {
        if (Provider != DatabaseProvider.Sqlite) return null;
        if (GroupCommit is { } writer) return await writer.ExclusiveAsync(ct);
        if (!await WriteGate!.WaitAsync(WriteGateTimeout, ct))
            throw new TimeoutException($"No database write slot within {WriteGateTimeout.TotalSeconds:0} s.");
        var gate = WriteGate;
        return new WriteSlot(() => gate.Release());
    }

    /// <summary>
    /// How long a writer waits for the gate (<c>Database:WriteGateTimeoutSeconds</c>, 30 s): as long as SQLite's
    /// busy_timeout would have let it wait, and more. Past it the request is answered 503 <c>database_unavailable</c>.
    /// </summary>
    public TimeSpan WriteGateTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>SQLite's busy_timeout (<c>Database:BusyTimeoutMilliseconds</c>): how long a statement waits for another process's lock.</summary>
    public int BusyTimeoutMilliseconds { get; init; } = 10_000;

    /// <summary>A test seam: faults injected into new connections. Production never sets it (only tests register one).</summary>
    public DatabaseFaultInjection? Faults { get; init; }

    /// <summary>
    /// Classifies a failure (<see cref="DatabaseFailures"/>) and, when it broke its connection, clears the pool: after a
    /// restart or failover every idle pooled connection is dead too, and each would otherwise fail one more request.
    /// Returns null for failures that are not the database's.
    /// </summary>
    public DatabaseFailure? Observe(Exception exception)
    {
        var failure = DatabaseFailures.Classify(exception);
        if (failure is { ConnectionBroken: true })
        {
            switch (Provider)
            {
                case DatabaseProvider.Postgres: _postgres!.Clear(); break;
                case DatabaseProvider.SqlServer: SqlConnection.ClearAllPools(); break;
                default: SqliteConnection.ClearAllPools(); break;
            }
        }
        return failure;
    }

    public DatabaseProvider Provider { get; }
    public string ConnectionString { get; }

    /// <summary>Set when statements are counted (SQLite only, see <see cref="DatabaseOptions.CountStatements"/>).</summary>
    public StatementCounter? Counter { get; init; }
    public ISqlDialect Dialect { get; }

    public async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = await OpenProviderAsync(ct);
        return Faults?.Wrap(connection, Provider) ?? connection;
    }

    private async Task<DbConnection> OpenProviderAsync(CancellationToken ct)
    {
        switch (Provider)
        {
            case DatabaseProvider.Postgres:
                return await _postgres!.OpenConnectionAsync(ct);
            case DatabaseProvider.Sqlite:
                var sqlite = new SqliteConnection(ConnectionString);
                await sqlite.OpenAsync(ct);
                // A pooled connection keeps its settings, so they are applied once per physical connection, not per
                // request (four statements to prepare and run each time).
                if (!_configured.TryGetValue(sqlite.Handle!, out _))
                {
                    // WAL lets readers run beside the writer; synchronous=FULL makes an acknowledged commit survive power loss.
                    await using (var pragma = sqlite.CreateCommand())
                    {
                        var busy = $"PRAGMA busy_timeout={BusyTimeoutMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture)};";
                        pragma.CommandText = _sqliteReadOnly
                            ? $"{busy} PRAGMA foreign_keys=ON;"
                            : $"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; {busy} PRAGMA foreign_keys=ON;";
                        await pragma.ExecuteNonQueryAsync(ct);
                    }
                    _configured.AddOrUpdate(sqlite.Handle!, Configured);
                }
                return Counter is null ? sqlite : new CountingConnection(sqlite, Counter);
            default:
                var sql = new SqlConnection(ConnectionString);
                await sql.OpenAsync(ct);
                return sql;
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        // What the writer holds is committed first: its commands are waiting for their answers.
        if (GroupCommit is { } writer)
        {
            GroupCommit = null;
            await writer.DisposeAsync();
        }
        _postgres?.Dispose();
        WriteGate?.Dispose();
    }
}
