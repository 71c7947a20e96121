using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>
/// Appends events to their streams inside the command's transaction.
/// With a known head (the writer read it with the aggregate, under the aggregate's version guard) an event costs two
/// statements: the event insert and the head move guarded by the seq it read — a concurrent append to the stream
/// makes one of them fail on the (stream_id, seq) key or the guard, and the whole change is refused (412).
/// Without one, the head row is incremented first: that UPDATE takes the row lock, so two transactions on one stream
/// queue up instead of forking the chain. Events that open new streams (a submission opens the person's and the
/// referral's) need no guard: consecutive ones go in one multi-row INSERT of events and one of heads, so they cost two
/// statements together — a second transaction opening the same stream fails on the keys, as with one.
/// </summary>
public sealed class AuditAppender(Clock clock) : IAuditAppender
{
    private const string InsertEvent = """
        INSERT INTO audit_events (stream_id, seq, occurred_at, principal_id, organisation_id, role, type, data, prev_hash, hash)
        VALUES (@StreamId, @Seq, @OccurredAt, @PrincipalId, @OrganisationId, @Role, @Type, @Data, @PrevHash, @Hash)
        """;

    public async ValueTask AppendAsync(IDbSession session, Principal? actor, IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return;
        var connection = await session.ConnectionAsync(ct);
        var now = clock.Now();
        // The system acts without a principal or organisation of its own.
        if (actor is not null && actor.IsSystem()) actor = null;
        var role = actor is null ? "system" : actor.PrimaryRole.Code();
        // Heads this batch already moved: a second event on the same stream follows the first without reading again.
        var moved = new Dictionary<string, KnownHead>(StringComparer.Ordinal);
        var opening = new List<(AuditEntry Entry, long Seq, string PrevHash, string Hash, System.Text.Json.Nodes.JsonNode? Data)>();
        foreach (var entry in entries)
        {
            var known = moved.TryGetValue(entry.StreamId, out var previous) ? previous : entry.ExpectedHead;
            if (known is { Seq: 0 } && !moved.ContainsKey(entry.StreamId))
            {
                // A new stream: queued with the consecutive others, written together before any event that follows.
                var data = CanonicalJson.ToNode(entry.Data);
                var hash = AuditChain.Hash(AuditChain.Genesis, AuditChain.EventJson(entry.StreamId, 1, now, actor?.Id, actor?.OrganisationId, role, entry.Type, data));
                opening.Add((entry, 1, AuditChain.Genesis, hash, data));
                moved[entry.StreamId] = new KnownHead(1, hash);
                continue;
            }
            await OpenStreamsAsync();
            try
            {
                KnownHead head;
                if (known is null)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        session.Dialect.InsertIfAbsent("audit_stream_heads", "stream_id, seq, hash", "@StreamId, 0, @Genesis", "stream_id"),
                        new { entry.StreamId, AuditChain.Genesis }, session.Transaction, cancellationToken: ct));
                    await connection.ExecuteAsync(new CommandDefinition("UPDATE audit_stream_heads SET seq = seq + 1 WHERE stream_id = @StreamId",
                        new { entry.StreamId }, session.Transaction, cancellationToken: ct));
                    var locked = await connection.QuerySingleAsync<(long Seq, string Hash)>(new CommandDefinition(
                        "SELECT seq, hash FROM audit_stream_heads WHERE stream_id = @StreamId", new { entry.StreamId }, session.Transaction, cancellationToken: ct));
                    head = await InsertAsync(locked.Seq, locked.Hash);
                    await connection.ExecuteAsync(new CommandDefinition("UPDATE audit_stream_heads SET hash = @Hash WHERE stream_id = @StreamId",
                        new { entry.StreamId, head.Hash }, session.Transaction, cancellationToken: ct));
                }
                else
                {
                    head = await InsertAsync(known.Seq + 1, known.Hash ?? AuditChain.Genesis);
                    var updated = await connection.ExecuteAsync(new CommandDefinition(
                        "UPDATE audit_stream_heads SET seq = @Seq, hash = @Hash WHERE stream_id = @StreamId AND seq = @Expected",
                        new { entry.StreamId, head.Seq, head.Hash, Expected = known.Seq }, session.Transaction, cancellationToken: ct));
                    if (updated == 0) throw Concurrent();
                }
                moved[entry.StreamId] = head;
            }
            catch (Exception e) when (known is not null && session.Dialect.IsUniqueViolation(e))
            {
                throw Concurrent();
            }

            async Task<KnownHead> InsertAsync(long seq, string prevHash)
            {
                var data = CanonicalJson.ToNode(entry.Data);
                var json = AuditChain.EventJson(entry.StreamId, seq, now, actor?.Id, actor?.OrganisationId, role, entry.Type, data);
                var hash = AuditChain.Hash(prevHash, json);
                await connection.ExecuteAsync(new CommandDefinition(InsertEvent, new
                {
                    entry.StreamId, Seq = seq, OccurredAt = now, PrincipalId = actor?.Id, OrganisationId = actor?.OrganisationId, Role = role,
                    entry.Type, Data = CanonicalJson.Text(data), PrevHash = prevHash, Hash = hash,
                }, session.Transaction, cancellationToken: ct));
                return new KnownHead(seq, hash);
            }
        }
        await OpenStreamsAsync();

        async Task OpenStreamsAsync()
        {
            if (opening.Count == 0) return;
            var events = new DynamicParameters();
            var heads = new DynamicParameters();
            var eventRows = new List<string>(opening.Count);
            var headRows = new List<string>(opening.Count);
            for (var i = 0; i < opening.Count; i++)
            {
                var (entry, seq, prevHash, hash, data) = opening[i];
                eventRows.Add($"(@s{i}, @q{i}, @At, @PrincipalId, @OrganisationId, @Role, @t{i}, @d{i}, @p{i}, @h{i})");
                events.Add($"s{i}", entry.StreamId);
                events.Add($"q{i}", seq);
                events.Add($"t{i}", entry.Type);
                events.Add($"d{i}", CanonicalJson.Text(data));
                events.Add($"p{i}", prevHash);
                events.Add($"h{i}", hash);
                headRows.Add($"(@s{i}, @q{i}, @h{i})");
                heads.Add($"s{i}", entry.StreamId);
                heads.Add($"q{i}", seq);
                heads.Add($"h{i}", hash);
            }
            events.AddDynamicParams(new { At = now, PrincipalId = actor?.Id, OrganisationId = actor?.OrganisationId, Role = role });
            try
            {
                await connection.ExecuteAsync(new CommandDefinition($"""
                    INSERT INTO audit_events (stream_id, seq, occurred_at, principal_id, organisation_id, role, type, data, prev_hash, hash)
                    VALUES {string.Join(", ", eventRows)}
                    """, events, session.Transaction, cancellationToken: ct));
                await connection.ExecuteAsync(new CommandDefinition(
                    $"INSERT INTO audit_stream_heads (stream_id, seq, hash) VALUES {string.Join(", ", headRows)}", heads, session.Transaction, cancellationToken: ct));
            }
            catch (Exception e) when (session.Dialect.IsUniqueViolation(e))
            {
                throw Concurrent();
            }
            opening.Clear();
        }
    }

    private static PreconditionFailedException Concurrent() =>
        new("The referral was changed by someone else at the same time; read it again before acting.");
}
