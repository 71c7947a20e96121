using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>One step of a referral's history: who moved it, when, from what to what, under which protocol version, how late.</summary>
/// <remarks>
/// <see cref="UserId"/> names the person who acted (issue 16; null for a partner system's key or the system itself);
/// <see cref="UserDisplayName"/> is given only to readers of that person's own organisation.
/// </remarks>
public sealed record TimelineEntryView(DateTimeOffset At, string Action, string? From, string To, Guid? OrganisationId, string? Code, int ProtocolVersion,
    long? LateBySeconds, Guid? UserId = null, string? UserDisplayName = null)
{
    /// <summary>For <c>assign</c>/<c>unassign</c>: the person assigned or unassigned (<c>code</c> says which side).</summary>
    public Guid? AssigneeUserId { get; init; }
}

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
        var readerOrganisation = current.Principal!.OrganisationId;
        var row = await reader.FindVisibleAsync(query.Id, readerOrganisation, ct) ?? throw new NotFoundException("The referral");
        var connection = await session.ConnectionAsync(ct);
        var entries = await connection.QueryAsync<EntryRow>(new CommandDefinition("""
            SELECT t.occurred_at AS OccurredAt, t.action, t.from_status AS FromStatus, t.to_status AS ToStatus, t.organisation_id AS OrganisationId,
                   t.code, t.protocol_version AS ProtocolVersion, t.late_by_seconds AS LateBySeconds, u.id AS UserId,
                   u.organisation_id AS UserOrganisationId, u.display_name AS UserDisplayName, t.subject_user_id AS SubjectUserId
            FROM referral_timeline t LEFT JOIN users u ON u.id = t.principal_id WHERE t.referral_id = @Id ORDER BY t.seq
            """, new { row.Id }, session.Transaction, cancellationToken: ct));
        return new TimelineView(row.Id, entries.Select(e =>
            new TimelineEntryView(e.OccurredAt, e.Action, e.FromStatus, e.ToStatus, e.OrganisationId, e.Code, e.ProtocolVersion, e.LateBySeconds,
                e.UserId, e.UserOrganisationId == readerOrganisation ? e.UserDisplayName : null) { AssigneeUserId = e.SubjectUserId }).ToList());
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
        public Guid? UserId { get; init; }
        public Guid? UserOrganisationId { get; init; }
        public string? UserDisplayName { get; init; }
        public Guid? SubjectUserId { get; init; }
    }
}
