using System.Data;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Benchmarks;

public sealed record LoadResult(int Referrals, long Rows, TimeSpan Elapsed, TimeSpan Finishing, string Method, IReadOnlyDictionary<string, long> RowsPerTable);

/// <summary>
/// Loads the generated chunks straight into the database, in order, one large transaction per chunk, while the next
/// chunks are generated on the other cores. SQLite: prepared INSERTs on one connection. PostgreSQL: binary COPY.
/// </summary>
public static class BulkLoader
{
    public const int ChunkSize = 10_000;

    public static async Task<LoadResult> LoadAsync(DataGenerator generator, int count, string provider, string connectionString, TextWriter log)
    {
        var started = Stopwatch.GetTimestamp();
        await using IChunkWriter writer = provider == "sqlite" ? new SqliteChunkWriter(connectionString) : await PostgresChunkWriter.OpenAsync(connectionString);
        var chunks = (count + ChunkSize - 1) / ChunkSize;
        var lookahead = Math.Max(2, Environment.ProcessorCount);
        var pending = new Queue<Task<Chunk>>();
        var next = 0;
        void Schedule()
        {
            while (next < chunks && pending.Count < lookahead)
            {
                var from = next * ChunkSize;
                var to = Math.Min(count, from + ChunkSize);
                pending.Enqueue(Task.Run(() => generator.Generate(from, to)));
                next++;
            }
        }
        var perTable = new Dictionary<string, long>();
        long rows = 0;
        var lastReport = Stopwatch.GetTimestamp();
        for (var written = 0; written < chunks; written++)
        {
            Schedule();
            var chunk = await pending.Dequeue();
            Schedule();
            await writer.WriteAsync(chunk);
            rows += chunk.RowCount;
            Add(perTable, "persons", chunk.Persons.Count);
            Add(perTable, "referrals", chunk.Referrals.Count);
            Add(perTable, "referral_services", chunk.Services.Count);
            Add(perTable, "responsibility_periods", chunk.Periods.Count);
            Add(perTable, "referral_timeline", chunk.Timeline.Count);
            Add(perTable, "referral_duties", chunk.Duties.Count);
            Add(perTable, "deadline_breaches", chunk.Breaches.Count);
            Add(perTable, "referral_escalations", chunk.Escalations.Count);
            Add(perTable, "audit_events", chunk.Audit.Count);
            Add(perTable, "audit_stream_heads", chunk.Heads.Count);
            if (Stopwatch.GetElapsedTime(lastReport) > TimeSpan.FromSeconds(15))
            {
                lastReport = Stopwatch.GetTimestamp();
                var done = Math.Min(count, (written + 1) * ChunkSize);
                log.WriteLine($"    {done:N0} / {count:N0} referrals ({rows:N0} rows) after {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s");
            }
        }
        var loaded = Stopwatch.GetElapsedTime(started);
        var finishing = Stopwatch.GetTimestamp();
        await writer.FinishAsync(log);
        return new LoadResult(count, rows, Stopwatch.GetElapsedTime(started), Stopwatch.GetElapsedTime(finishing), writer.Method, perTable);
    }

    private static void Add(Dictionary<string, long> counts, string table, long n) => counts[table] = counts.GetValueOrDefault(table) + n;
}

internal interface IChunkWriter : IAsyncDisposable
{
    string Method { get; }
    Task WriteAsync(Chunk chunk);
    Task FinishAsync(TextWriter log);
}

/// <summary>
/// One connection, one transaction per chunk, one prepared INSERT per table. The loading connection runs with synchronous=OFF and a large page cache (only the
/// load is faster for it; the API keeps FULL), and checkpoints the WAL into the database at the end so the API reads a
/// compact file.
/// </summary>
internal sealed class SqliteChunkWriter : IChunkWriter
{
    private readonly SqliteConnection _connection;
    private readonly Inserter _person, _referral, _service, _period, _timeline, _duty, _breach, _escalation, _audit, _head;

    public SqliteChunkWriter(string connectionString)
    {
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
        Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-524288; PRAGMA temp_store=MEMORY; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=OFF;");
        _person = new Inserter(_connection, "persons", "id, owner_organisation_id, initials, birth_year, sex, nationality, languages, legal_status, vulnerabilities, " +
            "identity_sealed, wrapped_key, master_key_id, created_at");
        _referral = new Inserter(_connection, "referrals", "id, status, referrer_organisation_id, receiver_organisation_id, responsible_organisation_id, person_id, " +
            "protocol_code, protocol_version, urgency, services, acknowledge_by, decide_by, follow_up_by, overdue, acknowledged_at, decided_at, finished_at, outcome, " +
            "consent_basis, consent_given_by, consent_method, reason_sealed, created_at, updated_at, version");
        _service = new Inserter(_connection, "referral_services", "referral_id, service_code");
        _period = new Inserter(_connection, "responsibility_periods", "referral_id, seq, organisation_id, from_at, until_at, basis, closed_basis");
        _timeline = new Inserter(_connection, "referral_timeline",
            "referral_id, seq, occurred_at, action, from_status, to_status, organisation_id, principal_id, code, protocol_version, late_by_seconds");
        _duty = new Inserter(_connection, "referral_duties",
            "referral_id, deadline, step_code, holder_organisation_id, opened_at, due_at, closed_at, closed_basis, breached_at, responsible_at_due");
        _breach = new Inserter(_connection, "deadline_breaches", "referral_id, deadline, step_code, due_at, detected_at, responsible_organisation_id, " +
            "holder_organisation_id, acted_at, escalation_organisation_id, protocol_code, protocol_version");
        _escalation = new Inserter(_connection, "referral_escalations", "referral_id, organisation_id");
        _audit = new Inserter(_connection, "audit_events", "stream_id, seq, occurred_at, principal_id, organisation_id, role, type, data, prev_hash, hash");
        _head = new Inserter(_connection, "audit_stream_heads", "stream_id, seq, hash");
    }

    public string Method => $"SQLite: prepared INSERTs, one transaction per {BulkLoader.ChunkSize:N0} referrals, loading connection synchronous=OFF";

    private void Exec(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>A table's prepared single-row INSERT (measured here: multi-row VALUES lists bind slower in Microsoft.Data.Sqlite).</summary>
    private sealed class Inserter : IDisposable
    {
        private readonly SqliteCommand _command;

        public Inserter(SqliteConnection connection, string table, string columns)
        {
            var count = columns.Split(',').Length;
            _command = connection.CreateCommand();
            _command.CommandText = $"INSERT INTO {table} ({columns}) VALUES ({string.Join(", ", Enumerable.Range(0, count).Select(c => $"$p{c}"))})";
            for (var i = 0; i < count; i++) _command.Parameters.Add(new SqliteParameter($"$p{i}", null));
        }

        public void Begin(SqliteTransaction transaction) => _command.Transaction = transaction;

        public void Add(params object?[] values)
        {
            for (var c = 0; c < values.Length; c++) _command.Parameters[c].Value = values[c] ?? DBNull.Value;
            _command.ExecuteNonQuery();
        }

        public void Dispose() => _command.Dispose();
    }

    private static string Id(Guid id) => id.ToString("D");
    private static string? Id(Guid? id) => id?.ToString("D");
    private static string Time(DateTimeOffset t) => DapperTypes.FormatSqliteTime(t);
    private static object? Time(DateTimeOffset? t) => t is { } v ? DapperTypes.FormatSqliteTime(v) : null;

    public Task WriteAsync(Chunk chunk) => Task.Run(() =>
    {
        using var transaction = _connection.BeginTransaction();
        var all = new[] { _person, _referral, _service, _period, _timeline, _duty, _breach, _escalation, _audit, _head };
        foreach (var inserter in all) inserter.Begin(transaction);
        foreach (var p in chunk.Persons)
            _person.Add(Id(p.Id), Id(p.Owner), p.Initials, p.BirthYear, p.Sex, p.Nationality, p.Languages, p.LegalStatus, p.Vulnerabilities, p.Identity,
                p.WrappedKey, p.MasterKeyId, Time(p.CreatedAt));
        foreach (var r in chunk.Referrals)
            _referral.Add(Id(r.Id), r.Status, Id(r.Referrer), Id(r.Receiver), Id(r.Responsible), Id(r.PersonId), r.ProtocolCode, r.ProtocolVersion, r.Urgency,
                r.Services, Time(r.AcknowledgeBy), Time(r.DecideBy), Time(r.FollowUpBy), r.Overdue ? 1 : 0, Time(r.AcknowledgedAt), Time(r.DecidedAt),
                Time(r.FinishedAt), r.Outcome, "consent", "person", "verbal", r.Reason, Time(r.CreatedAt), Time(r.UpdatedAt), r.Version);
        foreach (var s in chunk.Services) _service.Add(Id(s.ReferralId), s.Code);
        foreach (var p in chunk.Periods) _period.Add(Id(p.ReferralId), p.Seq, Id(p.OrganisationId), Time(p.From), Time(p.Until), p.Basis, p.ClosedBasis);
        foreach (var t in chunk.Timeline)
            _timeline.Add(Id(t.ReferralId), t.Seq, Time(t.At), t.Action, t.From, t.To, Id(t.OrganisationId), Id(t.PrincipalId), t.Code, t.ProtocolVersion, t.LateBySeconds);
        foreach (var d in chunk.Duties)
            _duty.Add(Id(d.ReferralId), d.Deadline, "", Id(d.Holder), Time(d.OpenedAt), Time(d.DueAt), Time(d.ClosedAt), d.ClosedBasis, Time(d.BreachedAt), Id(d.ResponsibleAtDue));
        foreach (var b in chunk.Breaches)
            _breach.Add(Id(b.ReferralId), b.Deadline, "", Time(b.DueAt), Time(b.DetectedAt), Id(b.Responsible), Id(b.Holder), Time(b.ActedAt), Id(b.Escalation),
                b.ProtocolCode, b.ProtocolVersion);
        foreach (var e in chunk.Escalations) _escalation.Add(Id(e.ReferralId), Id(e.OrganisationId));
        foreach (var a in chunk.Audit)
            _audit.Add(a.StreamId, a.Seq, Time(a.At), Id(a.PrincipalId), Id(a.OrganisationId), a.Role, a.Type, a.Data, a.PrevHash, a.Hash);
        foreach (var h in chunk.Heads) _head.Add(h.StreamId, h.Seq, h.Hash);
        transaction.Commit();
    });

    public Task FinishAsync(TextWriter log) => Task.Run(() =>
    {
        log.WriteLine("    checkpointing the WAL into the database file (PRAGMA wal_checkpoint(TRUNCATE))");
        Exec("PRAGMA wal_checkpoint(TRUNCATE);");
    });

    public ValueTask DisposeAsync()
    {
        foreach (var inserter in new[] { _person, _referral, _service, _period, _timeline, _duty, _breach, _escalation, _audit, _head }) inserter.Dispose();
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Binary COPY per table, one transaction per chunk. The loading session sets <c>session_replication_role=replica</c>
/// (foreign-key triggers off: the generator's rows are consistent by construction, as pg_restore --disable-triggers
/// assumes) and <c>synchronous_commit=off</c>; the API's sessions keep the server's <c>synchronous_commit=on</c>.
/// VACUUM ANALYZE at the end stands for the autovacuum a real database would have run.
/// </summary>
internal sealed class PostgresChunkWriter : IChunkWriter
{
    private readonly NpgsqlConnection _connection;

    private PostgresChunkWriter(NpgsqlConnection connection) => _connection = connection;

    public string Method => "PostgreSQL: binary COPY, one transaction per 10,000 referrals, loading session without FK triggers, then VACUUM ANALYZE";

    public static async Task<PostgresChunkWriter> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SET session_replication_role = replica; SET synchronous_commit = off;", connection);
        await command.ExecuteNonQueryAsync();
        return new PostgresChunkWriter(connection);
    }

    private static void Opt(NpgsqlBinaryImporter w, string? v)
    {
        if (v is null) w.WriteNull();
        else w.Write(v, NpgsqlDbType.Text);
    }

    private static void Opt(NpgsqlBinaryImporter w, DateTimeOffset? v)
    {
        if (v is null) w.WriteNull();
        else w.Write(v.Value.UtcDateTime, NpgsqlDbType.TimestampTz);
    }

    private static void Opt(NpgsqlBinaryImporter w, Guid? v)
    {
        if (v is null) w.WriteNull();
        else w.Write(v.Value, NpgsqlDbType.Uuid);
    }

    private static void T(NpgsqlBinaryImporter w, DateTimeOffset v) => w.Write(v.UtcDateTime, NpgsqlDbType.TimestampTz);

    public Task WriteAsync(Chunk chunk) => Task.Run(() =>
    {
        using var transaction = _connection.BeginTransaction();
        using (var w = _connection.BeginBinaryImport("""
            COPY persons (id, owner_organisation_id, initials, birth_year, sex, nationality, languages, legal_status, vulnerabilities, identity_sealed,
                          wrapped_key, master_key_id, created_at) FROM STDIN (FORMAT BINARY)
            """))
        {
            foreach (var p in chunk.Persons)
            {
                w.StartRow();
                w.Write(p.Id, NpgsqlDbType.Uuid); w.Write(p.Owner, NpgsqlDbType.Uuid); w.Write(p.Initials, NpgsqlDbType.Text);
                w.Write(p.BirthYear, NpgsqlDbType.Integer); w.Write(p.Sex, NpgsqlDbType.Text); w.Write(p.Nationality, NpgsqlDbType.Text);
                w.Write(p.Languages, NpgsqlDbType.Text); w.Write(p.LegalStatus, NpgsqlDbType.Text); w.Write(p.Vulnerabilities, NpgsqlDbType.Text);
                w.Write(p.Identity, NpgsqlDbType.Bytea); w.Write(p.WrappedKey, NpgsqlDbType.Bytea); w.Write(p.MasterKeyId, NpgsqlDbType.Text); T(w, p.CreatedAt);
            }
            w.Complete();
        }
        using (var w = _connection.BeginBinaryImport("""
            COPY referrals (id, status, referrer_organisation_id, receiver_organisation_id, responsible_organisation_id, person_id, protocol_code,
                            protocol_version, urgency, services, acknowledge_by, decide_by, follow_up_by, overdue, acknowledged_at, decided_at,
                            finished_at, outcome, consent_basis, consent_given_by, consent_method, reason_sealed, created_at, updated_at, version)
            FROM STDIN (FORMAT BINARY)
            """))
        {
            foreach (var r in chunk.Referrals)
            {
                w.StartRow();
                w.Write(r.Id, NpgsqlDbType.Uuid); w.Write(r.Status, NpgsqlDbType.Text); w.Write(r.Referrer, NpgsqlDbType.Uuid); w.Write(r.Receiver, NpgsqlDbType.Uuid);
                w.Write(r.Responsible, NpgsqlDbType.Uuid); w.Write(r.PersonId, NpgsqlDbType.Uuid); w.Write(r.ProtocolCode, NpgsqlDbType.Text);
                w.Write(r.ProtocolVersion, NpgsqlDbType.Integer); w.Write(r.Urgency, NpgsqlDbType.Text); w.Write(r.Services, NpgsqlDbType.Text);
                T(w, r.AcknowledgeBy); T(w, r.DecideBy); Opt(w, r.FollowUpBy); w.Write(r.Overdue, NpgsqlDbType.Boolean); Opt(w, r.AcknowledgedAt);
                Opt(w, r.DecidedAt); Opt(w, r.FinishedAt); Opt(w, r.Outcome); w.Write("consent", NpgsqlDbType.Text); w.Write("person", NpgsqlDbType.Text); w.Write("verbal", NpgsqlDbType.Text);
                w.Write(r.Reason, NpgsqlDbType.Bytea); T(w, r.CreatedAt); T(w, r.UpdatedAt); w.Write(r.Version, NpgsqlDbType.Integer);
            }
            w.Complete();
        }
        using (var w = _connection.BeginBinaryImport("COPY referral_services (referral_id, service_code) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var s in chunk.Services)
            {
                w.StartRow();
                w.Write(s.ReferralId, NpgsqlDbType.Uuid); w.Write(s.Code, NpgsqlDbType.Text);
            }
            w.Complete();
        }
        using (var w = _connection.BeginBinaryImport(
            "COPY responsibility_periods (referral_id, seq, organisation_id, from_at, until_at, basis, closed_basis) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var p in chunk.Periods)
            {
                w.StartRow();
                w.Write(p.ReferralId, NpgsqlDbType.Uuid); w.Write(p.Seq, NpgsqlDbType.Integer); w.Write(p.OrganisationId, NpgsqlDbType.Uuid); T(w, p.From);
                Opt(w, p.Until); w.Write(p.Basis, NpgsqlDbType.Text); Opt(w, p.ClosedBasis);
            }
            w.Complete();
        }
        using (var w = _connection.BeginBinaryImport("""
            COPY referral_timeline (referral_id, seq, occurred_at, action, from_status, to_status, organisation_id, principal_id, code, protocol_version,
                                    late_by_seconds) FROM STDIN (FORMAT BINARY)
            """))
        {
            foreach (var t in chunk.Timeline)
            {
                w.StartRow();
                w.Write(t.ReferralId, NpgsqlDbType.Uuid); w.Write(t.Seq, NpgsqlDbType.Integer); T(w, t.At); w.Write(t.Action, NpgsqlDbType.Text); Opt(w, t.From);
                w.Write(t.To, NpgsqlDbType.Text); w.Write(t.OrganisationId, NpgsqlDbType.Uuid); Opt(w, t.PrincipalId); Opt(w, t.Code);
                w.Write(t.ProtocolVersion, NpgsqlDbType.Integer);
                if (t.LateBySeconds is { } late) w.Write(late, NpgsqlDbType.Bigint); else w.WriteNull();
            }
            w.Complete();
        }
        using (var w = _connection.BeginBinaryImport("""
            COPY referral_duties (referral_id, deadline, step_code, holder_organisation_id, opened_at, due_at, closed_at, closed_basis, breached_at,
                                  responsible_at_due) FROM STDIN (FORMAT BINARY)
            """))
        {
            foreach (var d in chunk.Duties)
            {
                w.StartRow();
                w.Write(d.ReferralId, NpgsqlDbType.Uuid); w.Write(d.Deadline, NpgsqlDbType.Text); w.Write("", NpgsqlDbType.Text); w.Write(d.Holder, NpgsqlDbType.Uuid);
                T(w, d.OpenedAt); T(w, d.DueAt); Opt(w, d.ClosedAt); Opt(w, d.ClosedBasis); Opt(w, d.BreachedAt); Opt(w, d.ResponsibleAtDue);
            }
            w.Complete();
        }
        using (var w = _connection.BeginBinaryImport("""
            COPY deadline_breaches (referral_id, deadline, step_code, due_at, detected_at, responsible_organisation_id, holder_organisation_id, acted_at,
                                    escalation_organisation_id, protocol_code, protocol_version) FROM STDIN (FORMAT BINARY)
            """))
        {
            foreach (var b in chunk.Breaches)
            {
                w.StartRow();
                w.Write(b.ReferralId, NpgsqlDbType.Uuid); w.Write(b.Deadline, NpgsqlDbType.Text); w.Write("", NpgsqlDbType.Text); T(w, b.DueAt); T(w, b.DetectedAt);
                w.Write(b.Responsible, NpgsqlDbType.Uuid); w.Write(b.Holder, NpgsqlDbType.Uuid); Opt(w, b.ActedAt); Opt(w, b.Escalation);
                w.Write(b.ProtocolCode, NpgsqlDbType.Text); w.Write(b.ProtocolVersion, NpgsqlDbType.Integer);
            }
            w.Complete();
        }
        using (var w = _connection.BeginBinaryImport("COPY referral_escalations (referral_id, organisation_id) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var e in chunk.Escalations)
            {
                w.StartRow();
                w.Write(e.ReferralId, NpgsqlDbType.Uuid); w.Write(e.OrganisationId, NpgsqlDbType.Uuid);
            }
            w.Complete();
        }
        using (var w = _connection.BeginBinaryImport("""
            COPY audit_events (stream_id, seq, occurred_at, principal_id, organisation_id, role, type, data, prev_hash, hash) FROM STDIN (FORMAT BINARY)
            """))
        {
            foreach (var a in chunk.Audit)
            {
                w.StartRow();
                w.Write(a.StreamId, NpgsqlDbType.Text); w.Write(a.Seq, NpgsqlDbType.Bigint); T(w, a.At); Opt(w, a.PrincipalId);
                Opt(w, a.OrganisationId); w.Write(a.Role, NpgsqlDbType.Text); w.Write(a.Type, NpgsqlDbType.Text); w.Write(a.Data, NpgsqlDbType.Text);
                w.Write(a.PrevHash, NpgsqlDbType.Text); w.Write(a.Hash, NpgsqlDbType.Text);
            }
            w.Complete();
        }
        using (var w = _connection.BeginBinaryImport("COPY audit_stream_heads (stream_id, seq, hash) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var h in chunk.Heads)
            {
                w.StartRow();
                w.Write(h.StreamId, NpgsqlDbType.Text); w.Write(h.Seq, NpgsqlDbType.Bigint); w.Write(h.Hash, NpgsqlDbType.Text);
            }
            w.Complete();
        }
        transaction.Commit();
    });

    public async Task FinishAsync(TextWriter log)
    {
        log.WriteLine("    VACUUM ANALYZE (what autovacuum would have done after the inserts)");
        await using var command = new NpgsqlCommand("VACUUM (ANALYZE)", _connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
