using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>
/// Appends events to their streams inside the command's transaction. The stream head row is incremented first: that
/// UPDATE takes the row lock, so two transactions on one stream queue up instead of forking the chain.
/// </summary>
public sealed class AuditAppender(Clock clock) : IAuditAppender
{
    public async ValueTask AppendAsync(IDbSession session, Principal? actor, IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return;
        var connection = await session.ConnectionAsync(ct);
        var now = clock.Now();
        var role = actor is null ? "system" : actor.PrimaryRole.Code();
        foreach (var entry in entries)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                session.Dialect.InsertIfAbsent("audit_stream_heads", "stream_id, seq, hash", "@StreamId, 0, @Genesis", "stream_id"),
                new { entry.StreamId, AuditChain.Genesis }, session.Transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("UPDATE audit_stream_heads SET seq = seq + 1 WHERE stream_id = @StreamId",
                new { entry.StreamId }, session.Transaction, cancellationToken: ct));
            var head = await connection.QuerySingleAsync<(long Seq, string Hash)>(new CommandDefinition(
                "SELECT seq, hash FROM audit_stream_heads WHERE stream_id = @StreamId", new { entry.StreamId }, session.Transaction, cancellationToken: ct));

            var data = CanonicalJson.ToNode(entry.Data);
            var json = AuditChain.EventJson(entry.StreamId, head.Seq, now, actor?.Id, actor?.OrganisationId, role, entry.Type, data);
            var hash = AuditChain.Hash(head.Hash, json);
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO audit_events (stream_id, seq, occurred_at, principal_id, organisation_id, role, type, data, prev_hash, hash)
                VALUES (@StreamId, @Seq, @OccurredAt, @PrincipalId, @OrganisationId, @Role, @Type, @Data, @PrevHash, @Hash)
                """, new
            {
                entry.StreamId, head.Seq, OccurredAt = now, PrincipalId = actor?.Id, OrganisationId = actor?.OrganisationId, Role = role,
                entry.Type, Data = CanonicalJson.Text(data), PrevHash = head.Hash, Hash = hash,
            }, session.Transaction, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("UPDATE audit_stream_heads SET hash = @Hash WHERE stream_id = @StreamId",
                new { entry.StreamId, Hash = hash }, session.Transaction, cancellationToken: ct));
        }
    }
}
