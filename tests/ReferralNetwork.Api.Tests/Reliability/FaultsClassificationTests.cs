using Microsoft.Data.Sqlite;
using Npgsql;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Api.Tests.Reliability;

/// <summary>Which provider failures are transient (503) and of which kind; everything else stays the caller's (null).</summary>
public sealed class FaultsClassificationTests
{
    [Theory]
    [InlineData("57P01", "database_unavailable", true)]
    [InlineData("57P02", "database_unavailable", true)]
    [InlineData("57P03", "database_unavailable", true)]
    [InlineData("08006", "database_unavailable", true)]
    [InlineData("08001", "database_unavailable", true)]
    [InlineData("25006", "database_unavailable", true)]
    [InlineData("57014", "database_unavailable", false)]
    [InlineData("53300", "database_unavailable", false)]
    [InlineData("40001", "database_unavailable", false)]
    [InlineData("40P01", "database_unavailable", false)]
    [InlineData("55P03", "database_unavailable", false)]
    [InlineData("53100", "storage_unavailable", false)]
    [InlineData("58030", "storage_unavailable", false)]
    public void PostgreSQL_states(string sqlState, string code, bool broken)
    {
        var failure = DatabaseFailures.Classify(new PostgresException("message", "FATAL", "FATAL", sqlState));
        Assert.NotNull(failure);
        Assert.Equal(code, failure.Code);
        Assert.Equal(broken, failure.ConnectionBroken);
    }

    [Theory]
    [InlineData("23505")] // unique violation: the caller's duplicate-key handling
    [InlineData("23503")]
    [InlineData("42P01")]
    [InlineData("22001")]
    public void PostgreSQL_errors_of_the_request_are_not_transient(string sqlState) =>
        Assert.Null(DatabaseFailures.Classify(new PostgresException("message", "ERROR", "ERROR", sqlState)));

    [Theory]
    [InlineData(5, "database_unavailable")]
    [InlineData(6, "database_unavailable")]
    [InlineData(517, "database_unavailable")] // SQLITE_BUSY_SNAPSHOT: the primary code is its low byte
    [InlineData(13, "storage_unavailable")]
    [InlineData(8, "storage_unavailable")]
    [InlineData(10, "storage_unavailable")]
    [InlineData(14, "storage_unavailable")]
    public void SQLite_codes(int code, string expected) =>
        Assert.Equal(expected, DatabaseFailures.Classify(new SqliteException("message", code))?.Code);

    [Theory]
    [InlineData(1)]  // SQLITE_ERROR: a bad statement
    [InlineData(19)] // SQLITE_CONSTRAINT: a duplicate key
    public void SQLite_errors_of_the_request_are_not_transient(int code) =>
        Assert.Null(DatabaseFailures.Classify(new SqliteException("message", code)));

    [Fact]
    public void Npgsql_io_and_timeouts_the_write_gate_and_wrapped_failures_are_transient()
    {
        Assert.Equal(DatabaseFailure.DatabaseUnavailableCode,
            DatabaseFailures.Classify(new NpgsqlException("Exception while reading from stream", new EndOfStreamException()))?.Code);
        var timeout = DatabaseFailures.Classify(new NpgsqlException("Exception while reading from stream", new TimeoutException()));
        Assert.False(timeout!.ConnectionBroken);
        Assert.Equal(DatabaseFailure.DatabaseUnavailableCode, DatabaseFailures.Classify(new TimeoutException("No database write slot within 30 s."))?.Code);
        Assert.Equal(DatabaseFailure.StorageUnavailableCode,
            DatabaseFailures.Classify(new InvalidOperationException("wrapped", new SqliteException("database or disk is full", 13)))?.Code);
        Assert.Null(DatabaseFailures.Classify(new InvalidOperationException("a bug")));
        Assert.Null(DatabaseFailures.Classify(new System.Text.RegularExpressions.RegexMatchTimeoutException()));
    }
}
