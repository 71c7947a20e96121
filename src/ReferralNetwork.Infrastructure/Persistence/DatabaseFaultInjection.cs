using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace ReferralNetwork.Infrastructure.Persistence;

/// <summary>
/// A test seam for faults a test cannot cause for real on every machine (a full disk, a read-only file): while
/// <see cref="FailWrites"/> is set, every connection the factory opens fails each write statement (INSERT, UPDATE,
/// DELETE, MERGE) with the exception it makes — the provider's real one, e.g. <c>new SqliteException("database or disk
/// is full", 13)</c> — and reads run untouched. It is used only when a test registers one as a service
/// (<see cref="DependencyInjection"/>); production never does, and then no connection is wrapped. Connections are wrapped
/// only while a fault is set, so migrations and provider-specific code at start-up see the provider's own type.
/// </summary>
public sealed class DatabaseFaultInjection
{
    private volatile Func<Exception>? _failWrites;

    /// <summary>Makes the exception each write statement throws; null lifts the fault.</summary>
    public Func<Exception>? FailWrites { get => _failWrites; set => _failWrites = value; }

    /// <summary>Write statements refused so far.</summary>
    public int Refused => _refused;
    private int _refused;

    internal DbConnection? Wrap(DbConnection connection, DatabaseProvider provider) => FailWrites is null ? null
        // Dapper passes lists as arrays only to a connection whose type is named NpgsqlConnection (and expands them
        // into (@a,@b) for any other): the PostgreSQL wrapper carries that name so the SQL stays the same.
        : provider == DatabaseProvider.Postgres ? new NpgsqlConnection(connection, this) : new FaultyConnection(connection, this);

    internal Exception? ForStatement(string? text)
    {
        if (FailWrites is not { } fault || !IsWrite(text)) return null;
        Interlocked.Increment(ref _refused);
        return fault();
    }

    private static bool IsWrite(string? text)
    {
        var sql = (text ?? "").TrimStart();
        return sql.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase) || sql.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase)
            || sql.StartsWith("DELETE", StringComparison.OrdinalIgnoreCase) || sql.StartsWith("MERGE", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The PostgreSQL flavour of <see cref="FaultyConnection"/>; see <see cref="Wrap"/> for its name.</summary>
    [SuppressMessage("Design", "CA1010", Justification = "A thin delegating wrapper.")]
    private sealed class NpgsqlConnection(DbConnection inner, DatabaseFaultInjection faults) : FaultyConnectionBase(inner, faults);

    [SuppressMessage("Design", "CA1010", Justification = "A thin delegating wrapper.")]
    private sealed class FaultyConnection(DbConnection inner, DatabaseFaultInjection faults) : FaultyConnectionBase(inner, faults);

    [SuppressMessage("Design", "CA1010", Justification = "A thin delegating wrapper.")]
    private abstract class FaultyConnectionBase(DbConnection inner, DatabaseFaultInjection faults) : DbConnection
    {
        [AllowNull]
        public override string ConnectionString { get => inner.ConnectionString; set => inner.ConnectionString = value; }
        public override string Database => inner.Database;
        public override string DataSource => inner.DataSource;
        public override string ServerVersion => inner.ServerVersion;
        public override ConnectionState State => inner.State;
        public override void ChangeDatabase(string databaseName) => inner.ChangeDatabase(databaseName);
        public override void Close() => inner.Close();
        public override void Open() => inner.Open();
        public override Task OpenAsync(CancellationToken cancellationToken) => inner.OpenAsync(cancellationToken);
        protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => inner.BeginTransaction(isolationLevel);

        protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken) =>
            await inner.BeginTransactionAsync(isolationLevel, cancellationToken);

        protected override DbCommand CreateDbCommand() => new FaultyCommand(inner.CreateCommand(), this, faults);

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class FaultyCommand(DbCommand command, DbConnection owner, DatabaseFaultInjection faults) : DbCommand
    {
        [AllowNull]
        public override string CommandText { get => command.CommandText; set => command.CommandText = value; }
        public override int CommandTimeout { get => command.CommandTimeout; set => command.CommandTimeout = value; }
        public override CommandType CommandType { get => command.CommandType; set => command.CommandType = value; }
        public override UpdateRowSource UpdatedRowSource { get => command.UpdatedRowSource; set => command.UpdatedRowSource = value; }
        public override bool DesignTimeVisible { get => command.DesignTimeVisible; set => command.DesignTimeVisible = value; }
        protected override DbConnection? DbConnection { get => owner; set { } }
        protected override DbParameterCollection DbParameterCollection => command.Parameters;
        protected override DbTransaction? DbTransaction { get => command.Transaction; set => command.Transaction = value; }
        public override void Cancel() => command.Cancel();
        public override void Prepare() => command.Prepare();
        protected override DbParameter CreateDbParameter() => command.CreateParameter();

        private void Check()
        {
            if (faults.ForStatement(command.CommandText) is { } fault) throw fault;
        }

        public override int ExecuteNonQuery()
        {
            Check();
            return command.ExecuteNonQuery();
        }

        public override object? ExecuteScalar()
        {
            Check();
            return command.ExecuteScalar();
        }

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior)
        {
            Check();
            return command.ExecuteReader(behavior);
        }

        public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken)
        {
            Check();
            return command.ExecuteNonQueryAsync(cancellationToken);
        }

        public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken)
        {
            Check();
            return command.ExecuteScalarAsync(cancellationToken);
        }

        protected override Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken)
        {
            Check();
            return command.ExecuteReaderAsync(behavior, cancellationToken);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) command.Dispose();
            base.Dispose(disposing);
        }
    }
}
