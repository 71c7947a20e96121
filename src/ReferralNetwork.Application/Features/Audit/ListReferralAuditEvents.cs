using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

public sealed record ReferralAuditEventsView(Guid ReferralId, string StreamId, IReadOnlyList<AuditEventView> Items);

/// <summary>The referral's audit stream in seq order, with each event's prevHash and hash, to check the chain by hand, and its logIndex.</summary>
[AllowedRoles(Role.Auditor)]
public sealed record ListReferralAuditEventsQuery(Guid ReferralId) : IQuery<ReferralAuditEventsView>;

public sealed class ListReferralAuditEventsHandler(IDbSession session) : IQueryHandler<ListReferralAuditEventsQuery, ReferralAuditEventsView>
{
    public async ValueTask<ReferralAuditEventsView> Handle(ListReferralAuditEventsQuery query, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var exists = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM referrals WHERE id = @Id", new { Id = query.ReferralId }, cancellationToken: ct));
        if (exists == 0) throw new NotFoundException("The referral");
        var stream = AuditStreams.Referral(query.ReferralId);
        var rows = await connection.QueryAsync<AuditEventRow>(new CommandDefinition(
            $"""
            SELECT {AuditEventRow.Columns}, l.log_index AS LogIndex
            FROM audit_events e LEFT JOIN audit_log_entries l ON l.global_seq = e.global_seq
            WHERE e.stream_id = @Stream ORDER BY e.seq
            """, new { Stream = stream }, cancellationToken: ct));
        return new ReferralAuditEventsView(query.ReferralId, stream, rows.Select(r => r.ToView()).ToList());
    }
}
