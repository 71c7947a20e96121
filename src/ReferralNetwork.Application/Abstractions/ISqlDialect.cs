namespace ReferralNetwork.Application.Abstractions;

/// <summary>
/// The few places where SQLite, PostgreSQL and SQL Server differ. Everything else is written once, in the portable
/// subset, next to the feature that runs it.
/// </summary>
public interface ISqlDialect
{
    string Name { get; }

    /// <summary>Keeps the first rows of an ordered query: <c>LIMIT @p</c> or <c>OFFSET 0 ROWS FETCH NEXT @p ROWS ONLY</c>.</summary>
    string Limit(string parameter);

    /// <summary>Inserts unless the key exists: <c>INSERT … ON CONFLICT DO NOTHING</c> or a guarded insert.</summary>
    string InsertIfAbsent(string table, string columns, string values, string keyColumns);

    /// <summary>
    /// Inserts the rows, or updates the non-key columns of those whose key exists, in one statement:
    /// <c>INSERT … ON CONFLICT … DO UPDATE</c> or <c>MERGE</c>. <paramref name="rows"/> are value tuples such as <c>(@a0, @b0)</c>.
    /// </summary>
    string Upsert(string table, IReadOnlyList<string> columns, IReadOnlyList<string> keyColumns, IReadOnlyList<string> rows);

    /// <summary>True when the exception is a unique or primary key violation.</summary>
    bool IsUniqueViolation(Exception exception);

    /// <summary>A list of ids for <see cref="InList"/>: Dapper expands lists without type handlers, so SQLite gets their text.</summary>
    System.Collections.IEnumerable IdList(IEnumerable<Guid> ids);

    /// <summary>Membership in a list parameter: <c>col IN @p</c> (expanded by Dapper) or, where Dapper passes arrays whole
    /// (PostgreSQL), <c>col = ANY(@p)</c>.</summary>
    string InList(string column, string parameter);

    /// <summary>
    /// Adds one to a counter row (creating it at 1) and returns the new value, in one atomic statement: the row lock it
    /// takes lasts until the transaction ends, so concurrent callers (in any process) each get their own number.
    /// </summary>
    string IncrementCounter(string table, string keyColumn, string valueColumn, string keyParameter);

    /// <summary>Case-insensitive containment, for directory search by name.</summary>
    string ContainsIgnoreCase(string column, string parameter);

    /// <summary>Hours from one time column to another, as a double (reports aggregate these in SQL).</summary>
    string HoursBetween(string from, string to);
}
