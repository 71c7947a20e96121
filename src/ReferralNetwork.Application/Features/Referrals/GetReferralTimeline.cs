using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>One step of a referral's history: who moved it, when, from what to what, under which protocol version, how late.</summary>
public sealed record TimelineEntryView(DateTimeOffset At, string Action, string? From, string To, Guid? OrganisationId, string? Code, int ProtocolVersion,
    long? LateBySeconds);

public sealed record TimelineView(Guid ReferralId, IReadOnlyList<TimelineEntryView> Items);

/// <summary>
/// The timeline of a referral, for its parties and observers alike (DESIGN §4: the loop is closed). It holds codes and
/// ids only — free text is in the notes, which observers cannot read.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record GetReferralTimelineQuery(Guid Id) : IQuery<TimelineView>;

public sealed class GetReferralTimelineHandler(IDbSession session, ReferralReader reader, ICurrentPrincipal current)
    : IQueryHandler<GetReferralTimelineQuery, TimelineView>
{
    public async ValueTask<TimelineView> Handle(GetReferralTimelineQuery query, CancellationToken ct)
    {
        var row = await reader.FindVisibleAsync(query.Id, current.Principal!.OrganisationId, ct) ?? throw new NotFoundException("The referral");
        var connection = await session.ConnectionAsync(ct);
        var entries = await connection.QueryAsync<EntryRow>(new CommandDefinition("""
            SELECT occurred_at AS OccurredAt, action, from_status AS FromStatus, to_status AS ToStatus, organisation_id AS OrganisationId,
                   code, protocol_version AS ProtocolVersion, late_by_seconds AS LateBySeconds
            FROM referral_timeline WHERE referral_id = @Id ORDER BY seq
            """, new { row.Id }, session.Transaction, cancellationToken: ct));
        return new TimelineView(row.Id, entries.Select(e =>
            new TimelineEntryView(e.OccurredAt, e.Action, e.FromStatus, e.ToStatus, e.OrganisationId, e.Code, e.ProtocolVersion, e.LateBySeconds)).ToList());
    }

    private sealed record EntryRow
    {
        public DateTimeOffset OccurredAt { get; init; }
        public string Action { get; init; } = "";
        public string? FromStatus { get; init; }
        public string ToStatus { get; init; } = "";
        public Guid? OrganisationId { get; init; }
        public string? Code { get; init; }
        public int ProtocolVersion { get; init; }
        public long? LateBySeconds { get; init; }
    }
}
