using System.Data.Common;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dapper;
using ReferralNetwork.Infrastructure.Audit;
using ReferralNetwork.Infrastructure.Persistence;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Benchmarks;

/// <summary>One row a probe submission inserted: its table, the columns written (identity columns left out) and values.</summary>
public sealed record ProbeRow(string Table, IReadOnlyList<string> Columns, IReadOnlyList<object?> Values);

/// <summary>
/// Floor (a): what the database alone can do for one submission. The rows of one real <c>POST /referrals</c> are found by
/// diffing every table around a probe submission (so the floor follows the API as it grows: outbox, idempotency, …);
/// each floor transaction inserts a clone of exactly those rows — every id other than organisations' and keys' replaced
/// by a fresh UUIDv7, the audit hashes recomputed so the chains stay valid — through Dapper, on a connection from the
/// API's own <see cref="ConnectionFactory"/> (the same pragmas: WAL, synchronous=FULL, busy_timeout; BEGIN IMMEDIATE).
/// </summary>
public sealed partial class SubmitFloor
{
    private readonly IReadOnlyList<ProbeRow> _rows;
    private readonly HashSet<string> _fixed;
    private readonly Dictionary<string, string> _sql = [];

    private SubmitFloor(IReadOnlyList<ProbeRow> rows, HashSet<string> fixedIds)
    {
        _rows = rows;
        _fixed = fixedIds;
        foreach (var r in rows)
            _sql.TryAdd(r.Table, $"INSERT INTO {r.Table} ({string.Join(", ", r.Columns)}) VALUES ({string.Join(", ", r.Columns.Select((_, i) => "@p" + i))})");
    }

    public IReadOnlyList<ProbeRow> Rows => _rows;

    public string Describe() => string.Join(", ", _rows.GroupBy(r => r.Table).Select(g => $"{g.Key} {g.Count()}")) + $" (= {_rows.Count} rows)";

    public IReadOnlyDictionary<string, int> RowsPerTable => _rows.GroupBy(r => r.Table).ToDictionary(g => g.Key, g => g.Count());

    // ---- The probe ------------------------------------------------------------------------------------------------

    public sealed class Snapshot
    {
        public required Dictionary<string, List<ProbeRow>> Tables { get; init; }
    }

    public static async Task<Snapshot> TakeAsync(ConnectionFactory factory)
    {
        await using var connection = await factory.OpenAsync(CancellationToken.None);
        var sqlite = factory.Provider == DatabaseProvider.Sqlite;
        var tables = sqlite
            ? (await connection.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")).ToList()
            : (await connection.QueryAsync<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")).ToList();
        var result = new Dictionary<string, List<ProbeRow>>();
        foreach (var table in tables.Where(t => !t.Equals("schemaversions", StringComparison.OrdinalIgnoreCase)))
        {
            var skip = await GeneratedColumnsAsync(connection, table, sqlite);
            var rows = new List<ProbeRow>();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {table}";
            await using var reader = await command.ExecuteReaderAsync();
            var columns = Enumerable.Range(0, reader.FieldCount).Where(i => !skip.Contains(reader.GetName(i))).ToList();
            while (await reader.ReadAsync())
            {
                var values = columns.Select(i => reader.IsDBNull(i) ? null
                    : !sqlite && reader.GetDataTypeName(i) == "timestamp with time zone" ? reader.GetFieldValue<DateTimeOffset>(i)
                    : reader.GetValue(i)).ToList();
                rows.Add(new ProbeRow(table, columns.Select(reader.GetName).ToList(), values));
            }
            result[table] = rows;
        }
        return new Snapshot { Tables = result };
    }

    private static async Task<HashSet<string>> GeneratedColumnsAsync(DbConnection connection, string table, bool sqlite)
    {
        if (sqlite)
        {
            // An INTEGER PRIMARY KEY alone is the rowid: SQLite numbers it.
            var info = (await connection.QueryAsync<(long Cid, string Name, string Type, long NotNull, object? Default, long Pk)>($"PRAGMA table_info({table})")).ToList();
            var pk = info.Where(c => c.Pk > 0).ToList();
            return pk.Count == 1 && pk[0].Type.Equals("INTEGER", StringComparison.OrdinalIgnoreCase) ? [pk[0].Name] : [];
        }
        return (await connection.QueryAsync<string>("""
            SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = @Table AND (is_identity = 'YES' OR column_default LIKE 'nextval%')
            """, new { Table = table })).ToHashSet();
    }

    /// <summary>The rows that are in <paramref name="after"/> but not in <paramref name="before"/>: what the probe inserted.</summary>
    public static SubmitFloor FromProbe(Snapshot before, Snapshot after, IEnumerable<Guid> fixedIds, out IReadOnlyList<string> notes)
    {
        var inserted = new List<ProbeRow>();
        var remarks = new List<string>();
        foreach (var (table, rows) in after.Tables)
        {
            var old = before.Tables.GetValueOrDefault(table) ?? [];
            var seen = old.Select(Key).GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());
            var added = new List<ProbeRow>();
            foreach (var row in rows)
            {
                var key = Key(row);
                if (seen.TryGetValue(key, out var n) && n > 0) seen[key] = n - 1;
                else added.Add(row);
            }
            var growth = rows.Count - old.Count;
            if (added.Count > growth) remarks.Add($"{table}: {added.Count - growth} row(s) updated by the probe (not part of the floor)");
            // An updated row shows up as 'added' too; keep only as many as the table grew by, the newest last.
            inserted.AddRange(added.TakeLast(Math.Max(0, growth)));
        }
        notes = remarks;
        var order = new[] { "persons", "consents", "referrals", "referral_services", "referral_observers", "responsibility_periods", "referral_timeline" };
        inserted = inserted.OrderBy(r => Array.IndexOf(order, r.Table) is var i and >= 0 ? i : order.Length).ToList();
        return new SubmitFloor(inserted, fixedIds.Select(g => g.ToString("D")).ToHashSet(StringComparer.OrdinalIgnoreCase));
    }

    private static string Key(ProbeRow row) => string.Join('\u001f', row.Values.Select(v => v switch
    {
        null => "\u0000",
        byte[] b => Convert.ToBase64String(b),
        DateTimeOffset t => t.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture),
    }));

    // ---- One floor transaction --------------------------------------------------------------------------------------

    [GeneratedRegex("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex GuidPattern();

    [GeneratedRegex("RN-[0-9]{4}-[0-9]{6}")]
    private static partial Regex ReferencePattern();

    private static long _references;

    /// <summary>Fresh copies of the probe's rows: new ids everywhere but organisations and keys, valid audit chains.</summary>
    public List<ProbeRow> Clone()
    {
        var map = new Dictionary<string, Guid>(StringComparer.OrdinalIgnoreCase);
        Guid Remap(Guid g)
        {
            var text = g.ToString("D");
            if (_fixed.Contains(text)) return g;
            if (!map.TryGetValue(text, out var fresh)) map[text] = fresh = Guid.CreateVersion7();
            return fresh;
        }
        // The referral's reference (issue 17) is unique too: each copy gets its own, in the row and in its submitted event
        // alike (year 2099, so it never meets a number the API hands out).
        var reference = $"RN-2099-{Interlocked.Increment(ref _references) % 1_000_000:D6}";
        string RemapText(string s) => ReferencePattern().Replace(GuidPattern().Replace(s, m => Remap(Guid.Parse(m.Value)).ToString("D")), reference);

        var clones = _rows.Select(r => r with
        {
            Values = r.Values.Select(v => v switch
            {
                Guid g => (object?)Remap(g),
                string s => RemapText(s),
                _ => v,
            }).ToList(),
        }).ToList();

        // Re-chain the audit events of the new streams (first event of each: prev = genesis) and point the heads at them.
        var heads = new Dictionary<string, (long Seq, string Hash)>();
        for (var i = 0; i < clones.Count; i++)
        {
            var row = clones[i];
            if (row.Table != "audit_events") continue;
            var values = row.Values.ToList();
            object? Get(string column) => values[IndexOf(row, column)];
            var stream = (string)Get("stream_id")!;
            var seq = Convert.ToInt64(Get("seq"), System.Globalization.CultureInfo.InvariantCulture);
            var prev = heads.TryGetValue(stream, out var h) && h.Seq == seq - 1 ? h.Hash : (string)Get("prev_hash")!;
            if (seq == 1) prev = AuditChain.Genesis;
            var record = new AuditEventRow
            {
                StreamId = stream, Seq = seq, OccurredAt = Time(Get("occurred_at")!), PrincipalId = OptionalGuid(Get("principal_id")),
                OrganisationId = OptionalGuid(Get("organisation_id")), Role = (string)Get("role")!, Type = (string)Get("type")!, Data = (string)Get("data")!,
                PrevHash = prev,
            };
            var hash = AuditChain.Hash(prev, AuditChain.EventJson(record.StreamId, record.Seq, record.OccurredAt, record.PrincipalId, record.OrganisationId,
                record.Role, record.Type, JsonNode.Parse(record.Data)));
            values[IndexOf(row, "prev_hash")] = prev;
            values[IndexOf(row, "hash")] = hash;
            clones[i] = row with { Values = values };
            heads[stream] = (seq, hash);
        }
        for (var i = 0; i < clones.Count; i++)
        {
            var row = clones[i];
            if (row.Table != "audit_stream_heads") continue;
            var values = row.Values.ToList();
            if (heads.TryGetValue((string)values[IndexOf(row, "stream_id")]!, out var head)) values[IndexOf(row, "hash")] = head.Hash;
            clones[i] = row with { Values = values };
        }
        return clones;
    }

    private static int IndexOf(ProbeRow row, string column) => row.Columns.ToList().FindIndex(c => c.Equals(column, StringComparison.OrdinalIgnoreCase));

    private static DateTimeOffset Time(object value) => value switch
    {
        DateTimeOffset t => t,
        string s => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal),
        DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
        _ => throw new InvalidOperationException($"Not a time: {value}"),
    };

    private static Guid? OptionalGuid(object? value) => value switch
    {
        null => null,
        Guid g => g,
        string s => Guid.Parse(s),
        _ => throw new InvalidOperationException($"Not an id: {value}"),
    };

    /// <summary>One transaction as a submission's: open (pooled) connection, begin, every row through Dapper, commit.</summary>
    public async Task InsertOnceAsync(ConnectionFactory factory, CancellationToken ct)
    {
        var rows = Clone();
        await using var connection = await factory.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        foreach (var row in rows)
        {
            var parameters = new DynamicParameters();
            for (var i = 0; i < row.Values.Count; i++) parameters.Add("p" + i, row.Values[i]);
            await connection.ExecuteAsync(new CommandDefinition(_sql[row.Table], parameters, transaction, cancellationToken: ct));
        }
        await transaction.CommitAsync(ct);
    }
}
