using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>
/// The audit trail as NDJSON (<c>application/x-ndjson</c>), for verification outside the system with nothing but
/// the file and the public key. One JSON object per line, by <c>kind</c>:
/// <list type="bullet">
/// <item><c>header</c>: format <c>referral-network-audit-export/v1</c>, the period, the export time, the current key id;</item>
/// <item><c>event</c>: globalSeq, streamId, seq, occurredAt, actor {principalId, organisationId, role}, type, data, prevHash, hash —
/// exactly the fields the hash covers (<c>data</c> as stored; <c>dataText</c> instead if it no longer parses);</item>
/// <item><c>checkpoint</c>: sequence, treeSize, eventCount, rootHash, createdAt, keyId, signature, previousSequence,
/// previousRootHash, and its sealed heads [{streamId, seq, hash}] sorted by streamId: the full snapshot in the first
/// checkpoint line (<c>headsComplete: true</c>), only the new or moved heads after it (<c>false</c>);</item>
/// <item><c>log_checkpoint</c>: the transparency log's signed heads (see <see cref="AuditExport"/>); events carry their <c>logIndex</c>;</item>
/// <item><c>end</c>: how many event, checkpoint and log checkpoint lines were written (a truncated file lacks it).</item>
/// </list>
/// Events come in global order (globalSeq); a checkpoint line follows the events that occurred up to its time.
/// from/to select [from, to) on occurredAt and createdAt.
/// Referral events carry their trail and duty steps (docs/accountability-events.md), so a file that holds a referral's
/// stream from seq 1 is enough to rebuild its responsibility trail and breaches without the database; an open breach's
/// lateness runs to the header's exportedAt.
/// </summary>
[AllowedRoles(Role.Auditor)]
public sealed record ExportAuditQuery(DateTimeOffset? From = null, DateTimeOffset? To = null) : IQuery<AuditExport>;

public sealed class ExportAuditValidator : AbstractValidator<ExportAuditQuery>
{
    public ExportAuditValidator() => this.Period(q => q.From, q => q.To);
}

public sealed class ExportAuditHandler(IDbSession session, ICheckpointPublicKey key, Clock clock) : IQueryHandler<ExportAuditQuery, AuditExport>
{
    public ValueTask<AuditExport> Handle(ExportAuditQuery query, CancellationToken ct) =>
        ValueTask.FromResult(new AuditExport(session, query.From, query.To, clock.Now(), key.PublicKey.KeyId));
}

/// <summary>An authorised, validated export, written when the response body is ready for it.</summary>
public sealed class AuditExport(IDbSession session, DateTimeOffset? from, DateTimeOffset? to, DateTimeOffset exportedAt, string keyId)
{
    public const string ContentType = "application/x-ndjson";
    public const string Format = "referral-network-audit-export/v1";

    /// <summary>The time format the chain hashes (AuditChain.FormatTime): the export must give occurredAt byte for byte.</summary>
    private const string HashedTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";
    private const int FlushAt = 64 * 1024;

    public async Task WriteToAsync(Stream output, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var (checkpoints, heads) = await CheckpointsAsync(connection, ct);
        var buffer = new ArrayBufferWriter<byte>(FlushAt * 2);
        await using var json = new Utf8JsonWriter(buffer);
        long events = 0;
        var nextCheckpoint = 0;

        Line(buffer, json, w =>
        {
            w.WriteString("kind", "header");
            w.WriteString("format", Format);
            WriteTime(w, "from", from);
            WriteTime(w, "to", to);
            WriteTime(w, "exportedAt", exportedAt);
            w.WriteString("keyId", keyId);
        });
        var where = Period("occurred_at");
        var rows = connection.QueryUnbufferedAsync<AuditEventRow>(
            $"SELECT {AuditEventRow.Columns}, l.log_index AS LogIndex FROM audit_events e LEFT JOIN audit_log_entries l ON l.global_seq = e.global_seq {where} ORDER BY e.global_seq",
            new { From = from, To = to }, commandTimeout: 0);
        await foreach (var e in rows.WithCancellation(ct))
        {
            while (nextCheckpoint < checkpoints.Count && checkpoints[nextCheckpoint].CreatedAt < e.OccurredAt)
                WriteCheckpoint(buffer, json, checkpoints[nextCheckpoint], heads, nextCheckpoint++ == 0);
            Line(buffer, json, w => WriteEvent(w, e));
            events++;
            if (buffer.WrittenCount >= FlushAt) await FlushAsync(output, buffer, ct);
        }
        while (nextCheckpoint < checkpoints.Count)
            WriteCheckpoint(buffer, json, checkpoints[nextCheckpoint], heads, nextCheckpoint++ == 0);
        var logCheckpoints = await WriteLogCheckpointsAsync(connection, buffer, json, ct);
        Line(buffer, json, w =>
        {
            w.WriteString("kind", "end");
            w.WriteNumber("events", events);
            w.WriteNumber("checkpoints", checkpoints.Count);
            w.WriteNumber("logCheckpoints", logCheckpoints);
        });
        await FlushAsync(output, buffer, ct);
    }

    /// <summary>The checkpoints of the period and their heads: the first one's full snapshot, the later ones' delta rows.</summary>
    private async Task<(List<CheckpointRow>, ILookup<long, CheckpointHeadRow>)> CheckpointsAsync(System.Data.Common.DbConnection connection, CancellationToken ct)
    {
        var checkpoints = (await connection.QueryAsync<CheckpointRow>(new CommandDefinition(
            $"SELECT {CheckpointRow.Columns} FROM audit_checkpoints {Period("created_at")} ORDER BY sequence", new { From = from, To = to }, cancellationToken: ct))).ToList();
        if (checkpoints.Count == 0) return (checkpoints, Array.Empty<CheckpointHeadRow>().ToLookup(h => h.CheckpointSequence));
        var first = checkpoints[0].Sequence;
        var snapshot = (await connection.QueryAsync<CheckpointHeadRow>(new CommandDefinition(CheckpointSql.SnapshotUpTo, new { Upto = first }, cancellationToken: ct)))
            .Select(h => h with { CheckpointSequence = first });
        var later = await connection.QueryAsync<CheckpointHeadRow>(new CommandDefinition("""
            SELECT checkpoint_sequence AS CheckpointSequence, stream_id AS StreamId, seq, hash FROM audit_checkpoint_heads
            WHERE checkpoint_sequence > @First AND checkpoint_sequence <= @Last
            """, new { First = first, Last = checkpoints[^1].Sequence }, cancellationToken: ct));
        return (checkpoints, snapshot.Concat(later).ToLookup(h => h.CheckpointSequence));
    }

    /// <summary>
    /// The transparency log's signed heads of the period, oldest first, after every event: <c>log_checkpoint</c> lines with
    /// treeSize, rootHash, createdAt, the C2SP signed note with every witness cosignature (<c>note</c>) and the witnesses
    /// that cosigned it (<c>cosignedBy</c>); the last line is the newest head. Events carry their <c>logIndex</c>.
    /// </summary>
    private async Task<int> WriteLogCheckpointsAsync(System.Data.Common.DbConnection connection, ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, CancellationToken ct)
    {
        var heads = (await connection.QueryAsync<(long TreeSize, string RootHash, string Note, DateTimeOffset CreatedAt)>(new CommandDefinition(
            $"SELECT tree_size, root_hash, note, created_at FROM audit_log_checkpoints {Period("created_at")} ORDER BY tree_size", new { From = from, To = to },
            cancellationToken: ct))).ToList();
        if (heads.Count == 0) return 0;
        var cosignatures = (await connection.QueryAsync<(long TreeSize, string Witness, string Line)>(new CommandDefinition(
            "SELECT tree_size, witness_name, signature_line FROM audit_log_cosignatures WHERE tree_size >= @First ORDER BY tree_size, witness_name",
            new { First = heads[0].TreeSize }, cancellationToken: ct))).ToLookup(c => c.TreeSize);
        foreach (var head in heads)
            Line(buffer, json, w =>
            {
                w.WriteString("kind", "log_checkpoint");
                w.WriteNumber("treeSize", head.TreeSize);
                w.WriteString("rootHash", head.RootHash);
                WriteTime(w, "createdAt", head.CreatedAt);
                w.WriteString("note", head.Note + string.Concat(cosignatures[head.TreeSize].Select(c => c.Line + "\n")));
                w.WriteStartArray("cosignedBy");
                foreach (var c in cosignatures[head.TreeSize]) w.WriteStringValue(c.Witness);
                w.WriteEndArray();
            });
        return heads.Count;
    }

    private string Period(string column)
    {
        var conditions = new List<string>();
        if (from is not null) conditions.Add($"{column} >= @From");
        if (to is not null) conditions.Add($"{column} < @To");
        return conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
    }

    private static void WriteEvent(Utf8JsonWriter w, AuditEventRow e)
    {
        w.WriteString("kind", "event");
        w.WriteNumber("globalSeq", e.GlobalSeq);
        w.WriteString("streamId", e.StreamId);
        w.WriteNumber("seq", e.Seq);
        w.WriteString("occurredAt", e.OccurredAt.UtcDateTime.ToString(HashedTimeFormat, CultureInfo.InvariantCulture));
        w.WriteStartObject("actor");
        if (e.PrincipalId is { } principal) w.WriteString("principalId", principal.ToString("D")); else w.WriteNull("principalId");
        if (e.OrganisationId is { } organisation) w.WriteString("organisationId", organisation.ToString("D")); else w.WriteNull("organisationId");
        w.WriteString("role", e.Role);
        w.WriteEndObject();
        w.WriteString("type", e.Type);
        if (IsJson(e.Data))
        {
            w.WritePropertyName("data");
            w.WriteRawValue(e.Data, skipInputValidation: true);
        }
        else
        {
            w.WriteNull("data");
            w.WriteString("dataText", e.Data);
        }
        w.WriteString("prevHash", e.PrevHash);
        w.WriteString("hash", e.Hash);
        if (e.LogIndex is { } index) w.WriteNumber("logIndex", index); else w.WriteNull("logIndex");
    }

    private static void WriteCheckpoint(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, CheckpointRow c, ILookup<long, CheckpointHeadRow> heads, bool complete) =>
        Line(buffer, json, w =>
        {
            w.WriteString("kind", "checkpoint");
            w.WriteNumber("sequence", c.Sequence);
            w.WriteNumber("treeSize", c.TreeSize);
            w.WriteNumber("eventCount", c.EventCount);
            w.WriteString("rootHash", c.RootHash);
            WriteTime(w, "createdAt", c.CreatedAt);
            w.WriteString("keyId", c.KeyId);
            w.WriteString("signature", c.Signature);
            if (c.PreviousSequence is { } previous) w.WriteNumber("previousSequence", previous); else w.WriteNull("previousSequence");
            w.WriteString("previousRootHash", c.PreviousRootHash);
            w.WriteBoolean("headsComplete", complete);
            w.WriteStartArray("heads");
            foreach (var head in heads[c.Sequence].OrderBy(h => h.StreamId, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("streamId", head.StreamId);
                w.WriteNumber("seq", head.Seq);
                w.WriteString("hash", head.Hash);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });

    private static void Line(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, Action<Utf8JsonWriter> body)
    {
        json.Reset(buffer);
        json.WriteStartObject();
        body(json);
        json.WriteEndObject();
        json.Flush();
        buffer.Write("\n"u8);
    }

    private static void WriteTime(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } at) w.WriteString(name, at.UtcDateTime.ToString(HashedTimeFormat, CultureInfo.InvariantCulture));
        else w.WriteNull(name);
    }

    private static async Task FlushAsync(Stream output, ArrayBufferWriter<byte> buffer, CancellationToken ct)
    {
        await output.WriteAsync(buffer.WrittenMemory, ct);
        await output.FlushAsync(ct);
        buffer.ResetWrittenCount();
    }

    private static bool IsJson(string text)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
        try
        {
            if (!reader.Read()) return false;
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
