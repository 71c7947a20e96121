using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ReferralNetwork.Infrastructure.Persistence;

/// <summary>
/// How many SQL statements (commands executed) this process ran, when <c>Database:CountStatements</c> is on: the budget
/// tests (an accept at most 10 statements, a submit at most 14) and the benchmark read it. Off by default — the count
/// costs a wrapper per connection and command.
/// </summary>
public sealed class StatementCounter
{
    private const int Kept = 256;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _recent = new();
    private readonly AsyncLocal<StrongBox<int>?> _request = new();
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    /// <summary>
    /// Starts counting the statements of one request (its async flow) as well: the returned box holds how many ran so
    /// far. The API sends it as the <c>SQL-Statements</c> response header, which the benchmark prints per request.
    /// </summary>
    public StrongBox<int> BeginRequest() => _request.Value = new StrongBox<int>();

    /// <summary>The text of the newest statements (at most 256), oldest first, to see what a request ran.</summary>
    public IReadOnlyList<string> Recent => [.. _recent];

    internal void Increment(string text)
    {
        Interlocked.Increment(ref _count);
        if (_request.Value is { } request) Interlocked.Increment(ref request.Value);
        _recent.Enqueue(text);
        while (_recent.Count > Kept) _recent.TryDequeue(out _);
    }
}

/// <summary>A connection that counts every command it executes and otherwise does exactly what the inner one does.</summary>
[SuppressMessage("Design", "CA1010", Justification = "A thin delegating wrapper.")]
internal sealed class CountingConnection(DbConnection inner, StatementCounter counter) : DbConnection
{
    public DbConnection Inner => inner;

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

    protected override DbCommand CreateDbCommand() => new CountingCommand(inner.CreateCommand(), this, counter);

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();

    private sealed class CountingCommand(DbCommand command, DbConnection owner, StatementCounter counter) : DbCommand
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

        public override int ExecuteNonQuery()
        {
            counter.Increment(command.CommandText);
            return command.ExecuteNonQuery();
        }

        public override object? ExecuteScalar()
        {
            counter.Increment(command.CommandText);
            return command.ExecuteScalar();
        }

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior)
        {
            counter.Increment(command.CommandText);
            return command.ExecuteReader(behavior);
        }

        public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken)
        {
            counter.Increment(command.CommandText);
            return command.ExecuteNonQueryAsync(cancellationToken);
        }

        public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken)
        {
            counter.Increment(command.CommandText);
            return command.ExecuteScalarAsync(cancellationToken);
        }

        protected override Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken)
        {
            counter.Increment(command.CommandText);
            return command.ExecuteReaderAsync(behavior, cancellationToken);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) command.Dispose();
            base.Dispose(disposing);
        }
    }
}
