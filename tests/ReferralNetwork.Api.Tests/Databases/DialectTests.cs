using Microsoft.Data.Sqlite;
using Npgsql;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Api.Tests.Databases;

/// <summary>The SQL that differs per engine, pinned down — SQL Server's included, which no machine here can run.</summary>
public sealed class DialectTests
{
    [Fact]
    public void Paging_is_limit_or_offset_fetch()
    {
        Assert.Equal("LIMIT @Take", new SqliteDialect().Limit("@Take"));
        Assert.Equal("LIMIT @Take", new PostgresDialect().Limit("@Take"));
        Assert.Equal("OFFSET 0 ROWS FETCH NEXT @Take ROWS ONLY", new SqlServerDialect().Limit("@Take"));
    }

    [Fact]
    public void Insert_if_absent_is_on_conflict_or_a_locked_existence_check()
    {
        Assert.Equal("INSERT INTO heads (stream_id, seq) VALUES (@S, 0) ON CONFLICT (stream_id) DO NOTHING",
            new PostgresDialect().InsertIfAbsent("heads", "stream_id, seq", "@S, 0", "stream_id"));
        Assert.Equal("IF NOT EXISTS (SELECT 1 FROM heads WITH (UPDLOCK, HOLDLOCK) WHERE stream_id = @S) INSERT INTO heads (stream_id, seq) VALUES (@S, 0)",
            new SqlServerDialect().InsertIfAbsent("heads", "stream_id, seq", "@S, 0", "stream_id"));
    }

    [Fact]
    public void List_membership_is_any_on_postgres_and_in_elsewhere()
    {
        Assert.Equal("p.id = ANY(@Ids)", new PostgresDialect().InList("p.id", "@Ids"));
        Assert.Equal("p.id IN @Ids", new SqliteDialect().InList("p.id", "@Ids"));
        Assert.Equal("p.id IN @Ids", new SqlServerDialect().InList("p.id", "@Ids"));
        var id = Guid.CreateVersion7();
        Assert.Equal([id.ToString("D")], new SqliteDialect().IdList([id]).Cast<string>());
        Assert.Equal([id], new PostgresDialect().IdList([id]).Cast<Guid>());
    }

    [Fact]
    public void Unique_violations_are_recognised_per_engine()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT UNIQUE); INSERT INTO t VALUES (1, 'a');";
        command.ExecuteNonQuery();
        command.CommandText = "INSERT INTO t VALUES (2, 'a')";
        var unique = Assert.Throws<SqliteException>(() => command.ExecuteNonQuery());
        Assert.True(new SqliteDialect().IsUniqueViolation(unique));
        command.CommandText = "INSERT INTO t VALUES (1, 'b')";
        Assert.True(new SqliteDialect().IsUniqueViolation(Assert.Throws<SqliteException>(() => command.ExecuteNonQuery())));
        command.CommandText = "INSERT INTO missing VALUES (1)";
        Assert.False(new SqliteDialect().IsUniqueViolation(Assert.Throws<SqliteException>(() => command.ExecuteNonQuery())));

        Assert.True(new PostgresDialect().IsUniqueViolation(new PostgresException("dup", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation)));
        Assert.False(new PostgresDialect().IsUniqueViolation(new PostgresException("fk", "ERROR", "ERROR", PostgresErrorCodes.ForeignKeyViolation)));
        Assert.False(new SqlServerDialect().IsUniqueViolation(new InvalidOperationException()));
    }

    [Fact]
    public void Sqlite_times_are_fixed_width_utc_text_so_text_order_is_time_order()
    {
        var early = DapperTypes.FormatSqliteTime(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(1)));
        var late = DapperTypes.FormatSqliteTime(new DateTimeOffset(2026, 1, 2, 2, 30, 0, TimeSpan.Zero));
        Assert.Equal("2026-01-02T02:04:05.000000Z", early);
        Assert.True(string.CompareOrdinal(early, late) < 0);
    }

    [Fact]
    public void Sql_server_scripts_use_its_native_types()
    {
        var script = File.ReadAllText(Path.Combine(Infrastructure.Repository.Root, "src", "ReferralNetwork.Infrastructure", "Migrations", "sqlserver", "0001_schema.sql"));
        Assert.Contains("UNIQUEIDENTIFIER", script);
        Assert.Contains("DATETIMEOFFSET", script);
        Assert.Contains("NVARCHAR", script);
        Assert.DoesNotContain("TIMESTAMPTZ", script);
        Assert.DoesNotContain("BOOLEAN", script);
    }
}
