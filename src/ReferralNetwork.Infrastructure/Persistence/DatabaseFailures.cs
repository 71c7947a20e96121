using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ReferralNetwork.Infrastructure.Persistence;

/// <summary>What kind of transient trouble a database failure is: both are answered 503 with Retry-After.</summary>
public enum DatabaseFailureKind
{
    /// <summary>The database cannot be reached or cannot serve us right now: restarting, failing over, connections killed, locked, timed out.</summary>
    DatabaseUnavailable,

    /// <summary>The database is up but cannot store anything: disk full, read-only file, I/O error.</summary>
    StorageUnavailable,
}

/// <summary>
/// A failure that is the database's, not the request's: <see cref="Code"/> is the problem code clients see.
/// <see cref="ConnectionBroken"/> means the pool may hold more connections broken the same way (the server restarted,
/// failed over or killed them): it is cleared, so the next request connects afresh instead of failing once per idle
/// pooled connection.
/// </summary>
public sealed record DatabaseFailure(DatabaseFailureKind Kind, bool ConnectionBroken, string Reason)
{
    public const string DatabaseUnavailableCode = "database_unavailable";
    public const string StorageUnavailableCode = "storage_unavailable";

    public string Code => Kind == DatabaseFailureKind.StorageUnavailable ? StorageUnavailableCode : DatabaseUnavailableCode;
}

/// <summary>
/// Sorts exceptions of the three providers into transient database failures (answered 503, retried by the client) and
/// everything else (null: the caller's usual handling, a 500 for the unexpected). The exception and its inner
/// exceptions are looked at, so a wrapped provider exception counts too.
/// </summary>
public static class DatabaseFailures
{
    public static DatabaseFailure? Classify(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
            if (ClassifyOne(e) is { } failure) return failure;
        // A batch that did not commit for a reason of no provider's (the database's answer is the inner exception when it has one).
        return exception is GroupCommitFailedException ? Unavailable("the shared commit failed", broken: false) : null;
    }

    private static DatabaseFailure? ClassifyOne(Exception e) => e switch
    {
        PostgresException p => Postgres(p),
        NpgsqlException n => Npgsql(n),
        SqliteException s => Sqlite(s),
        SqlException q => SqlServer(q),
        // The process's SQLite write gate (no slot in time), Npgsql's pool exhaustion, other command timeouts.
        TimeoutException and not System.Text.RegularExpressions.RegexMatchTimeoutException => Unavailable("timeout", broken: false),
        DbException { IsTransient: true } d => Unavailable($"transient {d.GetType().Name}", broken: false),
        _ => null,
    };

    private static DatabaseFailure Unavailable(string reason, bool broken) => new(DatabaseFailureKind.DatabaseUnavailable, broken, reason);
    private static DatabaseFailure Storage(string reason) => new(DatabaseFailureKind.StorageUnavailable, false, reason);

    /// <summary>PostgreSQL's SQLSTATE (Appendix A of its manual).</summary>
    private static DatabaseFailure? Postgres(PostgresException p) => p.SqlState switch
    {
        "53100" => Storage("disk_full (53100)"),
        "58030" => Storage("io_error (58030)"),
        // connection_exception class: the connection is gone.
        var s when s.StartsWith("08", StringComparison.Ordinal) => Unavailable($"connection exception ({s})", broken: true),
        // admin_shutdown (pg_terminate_backend, a fast or immediate shutdown), crash_shutdown, cannot_connect_now (starting up).
        "57P01" or "57P02" or "57P03" => Unavailable($"server shutting down or starting ({p.SqlState})", broken: true),
        // A replica promoted or a primary demoted: the connection points at a read-only server.
        "25006" => Unavailable("read-only transaction after failover (25006)", broken: true),
        // query_canceled: statement_timeout, or the cancellation Npgsql sends when its command timeout expires.
        "57014" => Unavailable("query canceled (57014)", broken: false),
        "53300" => Unavailable("too many connections (53300)", broken: false),
        "53200" or "53400" => Unavailable($"insufficient resources ({p.SqlState})", broken: false),
        "40001" or "40P01" => Unavailable($"serialization failure or deadlock ({p.SqlState})", broken: false),
        "55P03" => Unavailable("lock not available (55P03)", broken: false),
        _ => null,
    };

    /// <summary>Npgsql's own failures: I/O, sockets, timeouts (IsTransient), the stream ending under a restart.</summary>
    private static DatabaseFailure? Npgsql(NpgsqlException n)
    {
        var timeout = n.InnerException is TimeoutException;
        if (n.IsTransient || timeout || n.InnerException is IOException or SocketException or EndOfStreamException)
            // A command timeout that Npgsql could cancel leaves the connection usable; anything else broke it.
            return Unavailable(timeout ? "command or connection timeout" : "connection failed", broken: !timeout);
        return null;
    }

    /// <summary>SQLite's primary result codes (https://www.sqlite.org/rescode.html); the extended code's low byte is the primary one.</summary>
    private static DatabaseFailure? Sqlite(SqliteException s) => (s.SqliteErrorCode & 0xFF) switch
    {
        5 => Unavailable("SQLITE_BUSY: another connection holds the lock", broken: false),
        6 => Unavailable("SQLITE_LOCKED", broken: false),
        13 => Storage("SQLITE_FULL: database or disk is full"),
        8 => Storage("SQLITE_READONLY: the database file is read-only"),
        10 => Storage("SQLITE_IOERR: disk I/O error"),
        14 => Storage("SQLITE_CANTOPEN: the database file cannot be opened"),
        _ => null,
    };

    /// <summary>
    /// SQL Server error numbers (sys.messages, plus SqlClient's own negative and socket numbers). Not exercised here: no
    /// machine of this project runs SQL Server; the numbers are the documented ones, kept exact.
    /// </summary>
    private static DatabaseFailure? SqlServer(SqlException q)
    {
        foreach (SqlError error in q.Errors)
        {
            switch (error.Number)
            {
                case 9002: return Storage("transaction log full (9002)");
                case 1105: return Storage("filegroup full (1105)");
                case 1101: return Storage("no space for a new page (1101)");
                case 3906: return Storage("database is read-only (3906)");
                case 40544: return Storage("database size quota reached (40544)");
                case -2: return Unavailable("command timeout (-2)", broken: false);
                case 1205: return Unavailable("deadlock victim (1205)", broken: false);
                case 1222: return Unavailable("lock request timeout (1222)", broken: false);
                case 1204: return Unavailable("lock resources exhausted (1204)", broken: false);
                case 3960: return Unavailable("snapshot update conflict (3960)", broken: false);
                case 4060: return Unavailable("cannot open database (4060)", broken: true);
                case 4221 or 976 or 978 or 983: return Unavailable($"availability group replica not usable ({error.Number})", broken: true);
                case 40197 or 40501 or 40613 or 49918 or 49919 or 49920 or 10928 or 10929:
                    return Unavailable($"Azure SQL transient ({error.Number})", broken: true);
                case -1 or 2 or 53 or 64 or 121 or 233 or 10053 or 10054 or 10060 or 10061 or 11001:
                    return Unavailable($"network error ({error.Number})", broken: true);
            }
        }
        // Severity 20 and above closes the connection.
        return q.Class >= 20 ? Unavailable($"fatal error class {q.Class}", broken: true) : null;
    }
}
