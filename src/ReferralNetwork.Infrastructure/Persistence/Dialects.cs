using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Npgsql;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Infrastructure.Persistence;

public sealed class SqliteDialect : ISqlDialect
{
    public string Name => "sqlite";
    public string Upsert(string table, IReadOnlyList<string> columns, IReadOnlyList<string> keyColumns, IReadOnlyList<string> rows) =>
        Dialects.OnConflictUpsert(table, columns, keyColumns, rows);
    public string Limit(string parameter) => $"LIMIT {parameter}";
    public string InsertIfAbsent(string table, string columns, string values, string keyColumns) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT ({keyColumns}) DO NOTHING";
    // 19 = SQLITE_CONSTRAINT; extended codes 1555 (primary key) and 2067 (unique).
    public bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 1555 or 2067 };
    public System.Collections.IEnumerable IdList(IEnumerable<Guid> ids) => ids.Select(id => id.ToString("D")).ToArray();
    public string InList(string column, string parameter) => $"{column} IN {parameter}";
    public string ContainsIgnoreCase(string column, string parameter) => $"instr(lower({column}), lower({parameter})) > 0";
    public string IncrementCounter(string table, string keyColumn, string valueColumn, string keyParameter) =>
        Dialects.OnConflictIncrement(table, keyColumn, valueColumn, keyParameter);
    public string HoursBetween(string from, string to) => $"((julianday({to}) - julianday({from})) * 24.0)";
}

public sealed class PostgresDialect : ISqlDialect
{
    public string Name => "postgres";
    public string Upsert(string table, IReadOnlyList<string> columns, IReadOnlyList<string> keyColumns, IReadOnlyList<string> rows) =>
        Dialects.OnConflictUpsert(table, columns, keyColumns, rows);
    public string Limit(string parameter) => $"LIMIT {parameter}";
    public string InsertIfAbsent(string table, string columns, string values, string keyColumns) =>
        $"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT ({keyColumns}) DO NOTHING";
    public bool IsUniqueViolation(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
    public System.Collections.IEnumerable IdList(IEnumerable<Guid> ids) => ids.ToArray();
    public string InList(string column, string parameter) => $"{column} = ANY({parameter})";
    public string ContainsIgnoreCase(string column, string parameter) => $"strpos(lower({column}), lower({parameter})) > 0";
    public string IncrementCounter(string table, string keyColumn, string valueColumn, string keyParameter) =>
        Dialects.OnConflictIncrement(table, keyColumn, valueColumn, keyParameter);
    public string HoursBetween(string from, string to) => $"CAST(EXTRACT(EPOCH FROM ({to} - {from})) / 3600.0 AS DOUBLE PRECISION)";
    // Dapper passes a list to Npgsql as one array parameter (it expands lists only for other providers).
}

/// <summary>
/// SQL Server: OFFSET/FETCH needs an ORDER BY (every paged query here has one); duplicate keys are errors 2601
/// (unique index) and 2627 (constraint). Run the database with READ_COMMITTED_SNAPSHOT ON so readers never block writers.
/// </summary>
public sealed class SqlServerDialect : ISqlDialect
{
    public string Name => "sqlserver";
    public string Limit(string parameter) => $"OFFSET 0 ROWS FETCH NEXT {parameter} ROWS ONLY";
    public string InsertIfAbsent(string table, string columns, string values, string keyColumns)
    {
        var keys = keyColumns.Split(',', StringSplitOptions.TrimEntries);
        var valueList = values.Split(',', StringSplitOptions.TrimEntries);
        var columnList = columns.Split(',', StringSplitOptions.TrimEntries);
        var match = string.Join(" AND ", keys.Select(k => $"{k} = {valueList[Array.IndexOf(columnList, k)]}"));
        // UPDLOCK + HOLDLOCK make the existence check and the insert one atomic step.
        return $"IF NOT EXISTS (SELECT 1 FROM {table} WITH (UPDLOCK, HOLDLOCK) WHERE {match}) INSERT INTO {table} ({columns}) VALUES ({values})";
    }
    // HOLDLOCK keeps the match and the insert one atomic step (MERGE alone can race into a duplicate key).
    public string Upsert(string table, IReadOnlyList<string> columns, IReadOnlyList<string> keyColumns, IReadOnlyList<string> rows)
    {
        var match = string.Join(" AND ", keyColumns.Select(k => $"t.{k} = s.{k}"));
        var set = string.Join(", ", columns.Except(keyColumns).Select(c => $"{c} = s.{c}"));
        return $"MERGE INTO {table} WITH (HOLDLOCK) AS t USING (VALUES {string.Join(", ", rows)}) AS s ({string.Join(", ", columns)}) ON {match} " +
               $"WHEN MATCHED THEN UPDATE SET {set} WHEN NOT MATCHED THEN INSERT ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(c => $"s.{c}"))});";
    }
    public bool IsUniqueViolation(Exception exception) => exception is SqlException { Number: 2601 or 2627 };
    public System.Collections.IEnumerable IdList(IEnumerable<Guid> ids) => ids.ToArray();
    public string InList(string column, string parameter) => $"{column} IN {parameter}";
    public string ContainsIgnoreCase(string column, string parameter) => $"CHARINDEX(LOWER({parameter}), LOWER({column})) > 0";
    // HOLDLOCK: without it two MERGEs can both miss the row and race into a duplicate key.
    public string IncrementCounter(string table, string keyColumn, string valueColumn, string keyParameter) =>
        $"MERGE INTO {table} WITH (HOLDLOCK) AS t USING (VALUES ({keyParameter})) AS s (k) ON t.{keyColumn} = s.k " +
        $"WHEN MATCHED THEN UPDATE SET {valueColumn} = t.{valueColumn} + 1 WHEN NOT MATCHED THEN INSERT ({keyColumn}, {valueColumn}) VALUES (s.k, 1) " +
        $"OUTPUT inserted.{valueColumn};";
    public string HoursBetween(string from, string to) => $"(CAST(DATEDIFF_BIG(millisecond, {from}, {to}) AS FLOAT) / 3600000.0)";
}

internal static class Dialects
{
    /// <summary>SQLite (3.35+) and PostgreSQL share <c>INSERT … ON CONFLICT DO UPDATE … RETURNING</c>.</summary>
    public static string OnConflictIncrement(string table, string keyColumn, string valueColumn, string keyParameter) =>
        $"INSERT INTO {table} ({keyColumn}, {valueColumn}) VALUES ({keyParameter}, 1) ON CONFLICT ({keyColumn}) DO UPDATE SET {valueColumn} = {table}.{valueColumn} + 1 RETURNING {valueColumn}";

    /// <summary>SQLite and PostgreSQL share <c>INSERT … ON CONFLICT (key) DO UPDATE SET c = excluded.c</c>.</summary>
    public static string OnConflictUpsert(string table, IReadOnlyList<string> columns, IReadOnlyList<string> keyColumns, IReadOnlyList<string> rows) =>
        $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES {string.Join(", ", rows)} ON CONFLICT ({string.Join(", ", keyColumns)}) DO UPDATE SET " +
        string.Join(", ", columns.Except(keyColumns).Select(c => $"{c} = excluded.{c}"));
}
