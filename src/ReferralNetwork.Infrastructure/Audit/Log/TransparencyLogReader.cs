using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using FluentValidation;
using FluentValidation.Results;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Audit;
using ReferralNetwork.Transparency;

namespace ReferralNetwork.Infrastructure.Audit.Log;

/// <summary>The log's read side: heads, proofs and receipts over the request's connection.</summary>
public sealed class TransparencyLogReader(IDbSession session, LogIdentity identity, LogVerifier verifier) : ITransparencyLog
{
    public const string ProofHeader = "c2sp.org/tlog-proof@v1";

    public async Task<TransparencyLogView> DescribeAsync(CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var (size, watermark) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
            "SELECT COALESCE(MAX(log_index) + 1, 0), COALESCE(MAX(global_seq), 0) FROM audit_log_entries", cancellationToken: ct));
        var pending = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM audit_events WHERE global_seq > @Watermark", new { Watermark = watermark }, cancellationToken: ct));
        var head = await NewestHeadAsync(ct);
        return new TransparencyLogView(identity.Origin, identity.VerifierKey, size, head?.Size ?? 0, pending, head, await WitnessesAsync(connection, head, ct));
    }

    public async Task<SignedTreeHeadView?> NewestHeadAsync(CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<LogCheckpointRow>(new CommandDefinition(
            $"SELECT {LogCheckpointRow.Columns} FROM audit_log_checkpoints ORDER BY tree_size DESC {session.Dialect.Limit("1")}", cancellationToken: ct));
        return row is null ? null : await HeadAsync(connection, row, ct);
    }

    private static async Task<SignedTreeHeadView> HeadAsync(DbConnection connection, LogCheckpointRow row, CancellationToken ct)
    {
        var cosignatures = (await connection.QueryAsync<LogCosignatureRow>(new CommandDefinition(
            $"SELECT {LogCosignatureRow.Columns} FROM audit_log_cosignatures WHERE tree_size = @TreeSize ORDER BY witness_name", new { row.TreeSize }, cancellationToken: ct))).ToList();
        var note = row.Note + string.Concat(cosignatures.Select(c => c.SignatureLine + "\n"));
        return new SignedTreeHeadView(row.TreeSize, row.RootHash, note, cosignatures.Select(c => c.WitnessName).ToList(), row.CreatedAt);
    }

    private async Task<List<WitnessView>> WitnessesAsync(DbConnection connection, SignedTreeHeadView? head, CancellationToken ct)
    {
        var latest = (await connection.QueryAsync<(string Name, long Size)>(new CommandDefinition(
            "SELECT witness_name, MAX(tree_size) FROM audit_log_cosignatures GROUP BY witness_name", cancellationToken: ct))).ToDictionary(r => r.Name, r => r.Size, StringComparer.Ordinal);
        return identity.Witnesses.Select(w => new WitnessView(w.Name, w.VerifierKey, latest.TryGetValue(w.Name, out var s) ? s : null,
            head?.CosignedBy.Contains(w.Name) == true)).ToList();
    }

    public async Task<InclusionProofView> InclusionAsync(long index, long size, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        // One query for the bound and the entry, one for every hash (the leaf's own among them).
        var (signed, eventId) = await connection.QuerySingleAsync<(long?, long?)>(new CommandDefinition("""
            SELECT (SELECT MAX(tree_size) FROM audit_log_checkpoints), (SELECT global_seq FROM audit_log_entries WHERE log_index = @Index)
            """, new { Index = index }, cancellationToken: ct));
        WithinSigned("size", size, signed ?? 0);
        var ranges = LogTree.InclusionRanges(index, size).Append((index, index + 1)).ToList();
        var hashes = await LogNodes.RangeHashesAsync(connection, null, ranges, ct);
        return new InclusionProofView(index, size, hashes.SkipLast(1).Select(Convert.ToBase64String).ToList(),
            eventId ?? throw new InvalidOperationException($"The audit log has no entry {index} below its signed size {signed}."), Convert.ToBase64String(hashes[^1]));
    }

    public async Task<ConsistencyProofView> ConsistencyAsync(long from, long to, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        WithinSigned("to", to, await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT MAX(tree_size) FROM audit_log_checkpoints", cancellationToken: ct)) ?? 0);
        var hashes = await LogNodes.RangeHashesAsync(connection, null, LogTree.ConsistencyRanges(from, to), ct);
        return new ConsistencyProofView(from, to, hashes.Select(Convert.ToBase64String).ToList());
    }

    /// <summary>Proofs are served only up to the newest signed size: nothing may be proven against a head nobody can check.</summary>
    private static void WithinSigned(string field, long size, long signed)
    {
        if (size > signed)
            throw new ValidationException([ReferralNetwork.Application.Features.Common.Failures.Of(field, $"{field} must not exceed the newest signed tree size, {signed.ToString(CultureInfo.InvariantCulture)}.")]);
    }

    public async Task<AuditReceiptView> ReceiptAsync(long eventId, Guid? actingOrganisation, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<ReceiptRow>(new CommandDefinition($"""
            SELECT {AuditEventRow.Columns}, l.log_index AS LogIndex
            FROM audit_events e LEFT JOIN audit_log_entries l ON l.global_seq = e.global_seq
            WHERE e.global_seq = @EventId {(actingOrganisation is null ? "" : "AND e.organisation_id = @Organisation")}
            """, new { EventId = eventId, Organisation = actingOrganisation }, cancellationToken: ct)) ?? throw new NotFoundException("The audit event");
        var pending = new AuditReceiptView(row.GlobalSeq, row.StreamId, row.Seq, row.LogIndex, "pending", null);
        if (row.LogIndex is not { } index) return pending;

        // The newest head that covers the event and is cosigned (by any configured witness; by the log alone when none is configured).
        var cosigned = identity.Witnesses.Count == 0 ? "" : $"AND EXISTS (SELECT 1 FROM audit_log_cosignatures s WHERE s.tree_size = c.tree_size AND {session.Dialect.InList("s.witness_name", "@Witnesses")})";
        var head = await connection.QuerySingleOrDefaultAsync<LogCheckpointRow>(new CommandDefinition($"""
            SELECT c.tree_size AS TreeSize, c.root_hash AS RootHash, c.note, c.created_at AS CreatedAt FROM audit_log_checkpoints c
            WHERE c.tree_size > @Index {cosigned}
            ORDER BY c.tree_size DESC {session.Dialect.Limit("1")}
            """, new { Index = index, Witnesses = identity.Witnesses.Select(w => w.Name).ToList() }, cancellationToken: ct));
        if (head is null) return pending;
        var signedHead = await HeadAsync(connection, head, ct);
        var hashes = await LogNodes.RangeHashesAsync(connection, null, LogTree.InclusionRanges(index, head.TreeSize), ct);
        var proof = new StringBuilder().Append(ProofHeader).Append('\n')
            .Append("extra ").Append(Convert.ToBase64String(Extra(row))).Append('\n')
            .Append(CultureInfo.InvariantCulture, $"index {index}\n");
        foreach (var hash in hashes) proof.Append(Convert.ToBase64String(hash)).Append('\n');
        proof.Append('\n').Append(signedHead.Note);
        return pending with { Status = "ready", Proof = proof.ToString() };
    }

    /// <summary>
    /// The tlog-proof's extra data: the event itself, so its receipt alone shows what was recorded — its ids, the chain
    /// hash and the exact canonical JSON the chain hash covers (hash = SHA-256(prevHash ‖ event)); leaf = SHA-256(0x00 ‖ hash).
    /// Ids and codes only, like every audit event. Unauthenticated by itself: the verifier recomputes the leaf from it.
    /// </summary>
    private static byte[] Extra(ReceiptRow row)
    {
        string? eventJson = null;
        try
        {
            eventJson = CanonicalJson.Text(AuditChain.EventJson(row.StreamId, row.Seq, row.OccurredAt, row.PrincipalId, row.OrganisationId, row.Role, row.Type,
                JsonNode.Parse(row.Data)));
        }
        catch (JsonException)
        {
            // Stored data that no longer parses (tampered): the receipt carries the hashes only.
        }
        // Member names spelled out here, so the format does not depend on serializer defaults.
        return JsonSerializer.SerializeToUtf8Bytes(new
        {
            eventId = row.GlobalSeq, streamId = row.StreamId, seq = row.Seq, prevHash = row.PrevHash, hash = row.Hash, @event = eventJson,
        });
    }

    private sealed record ReceiptRow
    {
        public long GlobalSeq { get; init; }
        public string StreamId { get; init; } = "";
        public long Seq { get; init; }
        public DateTimeOffset OccurredAt { get; init; }
        public Guid? PrincipalId { get; init; }
        public Guid? OrganisationId { get; init; }
        public string Role { get; init; } = "";
        public string Type { get; init; } = "";
        public string Data { get; init; } = "{}";
        public string PrevHash { get; init; } = "";
        public string Hash { get; init; } = "";
        public long? LogIndex { get; init; }
    }

    public Task<LogVerificationView> VerifyAsync(CancellationToken ct) => verifier.VerifyAsync(ct);
}
