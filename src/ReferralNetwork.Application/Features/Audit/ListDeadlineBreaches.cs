using System.Xml;
using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Deadlines;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>
/// A missed deadline (DESIGN §5): which duty (<c>deadline</c>), the organisation that had to meet it (<c>holderOrganisationId</c>)
/// and the one responsible for the referral at the due time (<c>responsibleOrganisationId</c>) — both facts from the chain —,
/// when it was due, detected and finally acted on (<c>actedAt</c>, null while still open), and <c>lateBySeconds</c>:
/// <c>actedAt − dueAt</c>, or the lateness so far as of this read while the duty is still open (<c>lateBy</c> as ISO 8601).
/// </summary>
/// <param name="Step">The protocol step of a <c>step</c> duty (its code); null for every other deadline.</param>
public sealed record DeadlineBreachView(Guid ReferralId, string Deadline, Guid HolderOrganisationId, Guid ResponsibleOrganisationId, DateTimeOffset DueAt,
    DateTimeOffset DetectedAt, DateTimeOffset? ActedAt, bool Open, long LateBySeconds, string LateBy, Guid? EscalationOrganisationId, string ProtocolCode,
    int ProtocolVersion, string? Step)
{
    /// <summary>The person assigned on the holder's side when the breach was recorded (issue 16; a pseudonymous user id), null when nobody was.</summary>
    public Guid? HolderAssigneeUserId { get; init; }
}

/// <summary>
/// Breaches network-wide, oldest due first, filtered by the duty's holder (<c>organisationId</c>), the referral, the
/// period the deadline fell due in ([from, to)), the protocol, the duty (acknowledge, decide, follow_up, review,
/// guardian_appointment) and whether the duty is still open.
/// </summary>
[AllowedRoles(Role.Auditor)]
public sealed record ListDeadlineBreachesQuery(Guid? OrganisationId = null, DateTimeOffset? From = null, DateTimeOffset? To = null, string? Protocol = null,
    string? Deadline = null, string? Cursor = null, int? Limit = null, Guid? ReferralId = null, bool? Open = null) : IQuery<Page<DeadlineBreachView>>;

public sealed class ListDeadlineBreachesValidator : AbstractValidator<ListDeadlineBreachesQuery>
{
    public ListDeadlineBreachesValidator()
    {
        RuleFor(q => q.Protocol).MaximumLength(50).Matches("^[a-z0-9][a-z0-9-]*$").When(q => q.Protocol is not null);
        RuleFor(q => q.Deadline).IsCode<ListDeadlineBreachesQuery, DeadlineKind>();
        RuleFor(q => q.Limit).IsLimit();
        RuleFor(q => q.Cursor).MaximumLength(200);
        this.Period(q => q.From, q => q.To);
    }
}

public sealed class ListDeadlineBreachesHandler(IDbSession session, Clock clock) : IQueryHandler<ListDeadlineBreachesQuery, Page<DeadlineBreachView>>
{
    private const string Columns = """
        b.referral_id AS ReferralId, b.deadline, b.step_code AS StepCode, b.due_at AS DueAt, b.detected_at AS DetectedAt, b.acted_at AS ActedAt,
        b.holder_organisation_id AS HolderOrganisationId, b.responsible_organisation_id AS ResponsibleOrganisationId,
        b.escalation_organisation_id AS EscalationOrganisationId, b.protocol_code AS ProtocolCode, b.protocol_version AS ProtocolVersion,
        b.holder_assignee_id AS HolderAssigneeUserId
        """;

    public async ValueTask<Page<DeadlineBreachView>> Handle(ListDeadlineBreachesQuery query, CancellationToken ct)
    {
        var now = clock.Now();
        var cursor = Common.Cursor.Decode(query.Cursor);
        var limit = query.Limit ?? Paging.DefaultLimit;
        var filters = new List<string> { "1 = 1" };
        if (query.OrganisationId is not null) filters.Add("b.holder_organisation_id = @OrganisationId");
        if (query.ReferralId is not null) filters.Add("b.referral_id = @ReferralId");
        if (query.From is not null) filters.Add("b.due_at >= @From");
        if (query.To is not null) filters.Add("b.due_at < @To");
        if (query.Protocol is not null) filters.Add("b.protocol_code = @Protocol");
        if (query.Deadline is not null) filters.Add("b.deadline = @Deadline");
        if (query.Open is true) filters.Add("b.acted_at IS NULL");
        if (query.Open is false) filters.Add("b.acted_at IS NOT NULL");
        var where = string.Join(" AND ", filters);
        var parameters = new { query.OrganisationId, query.ReferralId, query.From, query.To, query.Protocol, query.Deadline };
        // The redundant bound lets PostgreSQL seek the (due_at, referral_id) index instead of filtering from the first breach.
        var keyset = cursor is null ? "" : "AND b.due_at >= @At AND (b.due_at > @At OR (b.due_at = @At AND b.referral_id > @AfterId))";
        var connection = await session.ConnectionAsync(ct);
        var args = new DynamicParameters(parameters);
        args.AddDynamicParams(new { At = cursor?.At, AfterId = cursor?.Id, Take = limit + 1 });
        var rows = (await connection.QueryAsync<BreachRow>(new CommandDefinition($"""
            SELECT {Columns}
            FROM deadline_breaches b
            WHERE {where} {keyset}
            ORDER BY b.due_at, b.referral_id, b.deadline, b.step_code
            {session.Dialect.Limit("@Take")}
            """, args, cancellationToken: ct))).ToList();
        if (rows.Count <= limit) return new Page<DeadlineBreachView>(rows.Select(r => r.ToView(now)).ToList(), null);

        // The cursor is (due_at, referral_id); a referral can miss two deadlines (or two steps) due at the same instant,
        // so a page never ends inside such a group: it takes the group's remaining rows too.
        var page = rows.Take(limit).ToList();
        var last = page[^1];
        if (rows[limit].DueAt == last.DueAt && rows[limit].ReferralId == last.ReferralId)
        {
            var rest = new DynamicParameters(parameters);
            rest.AddDynamicParams(new { LastDue = last.DueAt, LastReferral = last.ReferralId, LastDeadline = last.Deadline, LastStep = last.StepCode ?? "" });
            page.AddRange(await connection.QueryAsync<BreachRow>(new CommandDefinition($"""
                SELECT {Columns}
                FROM deadline_breaches b
                WHERE {where} AND b.due_at = @LastDue AND b.referral_id = @LastReferral
                  AND (b.deadline > @LastDeadline OR (b.deadline = @LastDeadline AND b.step_code > @LastStep))
                ORDER BY b.deadline, b.step_code
                """, rest, cancellationToken: ct)));
            last = page[^1];
        }
        return new Page<DeadlineBreachView>(page.Select(r => r.ToView(now)).ToList(), new Common.Cursor(last.DueAt, last.ReferralId).Encode());
    }

    private sealed record BreachRow
    {
        public Guid ReferralId { get; init; }
        public string Deadline { get; init; } = "";
        public string? StepCode { get; init; }
        public DateTimeOffset DueAt { get; init; }
        public DateTimeOffset DetectedAt { get; init; }
        public DateTimeOffset? ActedAt { get; init; }
        public Guid? HolderOrganisationId { get; init; }
        public Guid ResponsibleOrganisationId { get; init; }
        public Guid? EscalationOrganisationId { get; init; }
        public string ProtocolCode { get; init; } = "";
        public int ProtocolVersion { get; init; }
        public Guid? HolderAssigneeUserId { get; init; }

        public DeadlineBreachView ToView(DateTimeOffset now)
        {
            var seconds = Duty.LateBy(DueAt, ActedAt ?? now) ?? 0;
            return new DeadlineBreachView(ReferralId, Deadline, HolderOrganisationId ?? ResponsibleOrganisationId, ResponsibleOrganisationId, DueAt, DetectedAt,
                ActedAt, ActedAt is null, seconds, XmlConvert.ToString(TimeSpan.FromSeconds(seconds)), EscalationOrganisationId, ProtocolCode, ProtocolVersion,
                string.IsNullOrEmpty(StepCode) ? null : StepCode)
            {
                HolderAssigneeUserId = HolderAssigneeUserId,
            };
        }
    }
}
