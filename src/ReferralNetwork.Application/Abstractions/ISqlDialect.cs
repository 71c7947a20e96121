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

    /// <summary>True when the exception is a unique or primary key violation.</summary>
    bool IsUniqueViolation(Exception exception);

    /// <summary>A list of ids for <see cref="InList"/>: Dapper expands lists without type handlers, so SQLite gets their text.</summary>
    System.Collections.IEnumerable IdList(IEnumerable<Guid> ids);

    /// <summary>
    /// Membership in a list parameter: <c>column IN @p</c>, which Dapper expands to one parameter per element — except
    /// on PostgreSQL, where Dapper sends the list as one array parameter, so it must read <c>column = ANY(@p)</c>.
    /// </summary>
    string InList(string column, string parameter);

    /// <summary>Case-insensitive containment, for directory search by name.</summary>
    string ContainsIgnoreCase(string column, string parameter);
}
