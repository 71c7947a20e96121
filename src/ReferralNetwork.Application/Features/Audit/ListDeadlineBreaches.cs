using System.Xml;
using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>
/// A missed deadline as the monitor recorded it: which deadline, when it was due, when it was detected, how late it
/// was then (<c>lateBySeconds</c>, and <c>lateBy</c> as an ISO 8601 duration), and who was responsible at that moment.
/// </summary>
public sealed record DeadlineBreachView(Guid ReferralId, string Deadline, DateTimeOffset DueAt, DateTimeOffset DetectedAt, long LateBySeconds, string LateBy,
    Guid ResponsibleOrganisationId, string ProtocolCode, int ProtocolVersion);

/// <summary>
/// Breaches network-wide, oldest due first, filtered by the organisation responsible, the period the deadline fell
/// due in ([from, to)), the protocol and the deadline kind (acknowledge, decide, follow_up, review).
/// </summary>
[AllowedRoles(Role.Auditor)]
public sealed record ListDeadlineBreachesQuery(Guid? OrganisationId = null, DateTimeOffset? From = null, DateTimeOffset? To = null, string? Protocol = null,
    string? Deadline = null, string? Cursor = null, int? Limit = null) : IQuery<Page<DeadlineBreachView>>;

public sealed class ListDeadlineBreachesValidator : AbstractValidator<ListDeadlineBreachesQuery>
{
    public ListDeadlineBreachesValidator()
    {
        RuleFor(q => q.Protocol).MaximumLength(50).Matches("^[a-z0-9][a-z0-9-]*$").When(q => q.Protocol is not null);
        RuleFor(q => q.Deadline).Matches("^[a-z][a-z_]{1,19}$").When(q => q.Deadline is not null)
            .WithMessage("deadline is a deadline kind such as acknowledge, decide, follow_up or review.");
        RuleFor(q => q.Limit).IsLimit();
        RuleFor(q => q.Cursor).MaximumLength(200);
        this.Period(q => q.From, q => q.To);
    }
}

public sealed class ListDeadlineBreachesHandler(IDbSession session) : IQueryHandler<ListDeadlineBreachesQuery, Page<DeadlineBreachView>>
{
    private const string Columns = """
        b.referral_id AS ReferralId, b.deadline, b.due_at AS DueAt, b.detected_at AS DetectedAt,
        b.responsible_organisation_id AS ResponsibleOrganisationId, b.protocol_code AS ProtocolCode, b.protocol_version AS ProtocolVersion
        """;

    public async ValueTask<Page<DeadlineBreachView>> Handle(ListDeadlineBreachesQuery query, CancellationToken ct)
    {
        var cursor = Common.Cursor.Decode(query.Cursor);
        var limit = query.Limit ?? Paging.DefaultLimit;
        var filters = new List<string> { "1 = 1" };
        if (query.OrganisationId is not null) filters.Add("b.responsible_organisation_id = @OrganisationId");
        if (query.From is not null) filters.Add("b.due_at >= @From");
        if (query.To is not null) filters.Add("b.due_at < @To");
        if (query.Protocol is not null) filters.Add("b.protocol_code = @Protocol");
        if (query.Deadline is not null) filters.Add("b.deadline = @Deadline");
        var where = string.Join(" AND ", filters);
        // The redundant bound lets PostgreSQL seek the (due_at, referral_id) index instead of filtering from the first breach.
        var keyset = cursor is null ? "" : "AND b.due_at >= @At AND (b.due_at > @At OR (b.due_at = @At AND b.referral_id > @AfterId))";
        var connection = await session.ConnectionAsync(ct);
        var rows = (await connection.QueryAsync<BreachRow>(new CommandDefinition($"""
            SELECT {Columns}
            FROM deadline_breaches b
            WHERE {where} {keyset}
            ORDER BY b.due_at, b.referral_id, b.deadline
            {session.Dialect.Limit("@Take")}
            """, new { query.OrganisationId, query.From, query.To, query.Protocol, query.Deadline, At = cursor?.At, AfterId = cursor?.Id, Take = limit + 1 },
            cancellationToken: ct))).ToList();
        if (rows.Count <= limit) return new Page<DeadlineBreachView>(rows.Select(r => r.ToView()).ToList(), null);

        // The cursor is (due_at, referral_id); a referral can miss two deadlines due at the same instant, so a page
        // never ends inside such a group: it takes the group's remaining rows too.
        var page = rows.Take(limit).ToList();
        var last = page[^1];
        if (rows[limit].DueAt == last.DueAt && rows[limit].ReferralId == last.ReferralId)
        {
            page.AddRange(await connection.QueryAsync<BreachRow>(new CommandDefinition($"""
                SELECT {Columns}
                FROM deadline_breaches b
                WHERE {where} AND b.due_at = @LastDue AND b.referral_id = @LastReferral AND b.deadline > @LastDeadline
                ORDER BY b.deadline
                """, new
            {
                query.OrganisationId, query.From, query.To, query.Protocol, query.Deadline, LastDue = last.DueAt, LastReferral = last.ReferralId, LastDeadline = last.Deadline,
            }, cancellationToken: ct)));
            last = page[^1];
        }
        return new Page<DeadlineBreachView>(page.Select(r => r.ToView()).ToList(), new Common.Cursor(last.DueAt, last.ReferralId).Encode());
    }

    private sealed record BreachRow
    {
        public Guid ReferralId { get; init; }
        public string Deadline { get; init; } = "";
        public DateTimeOffset DueAt { get; init; }
        public DateTimeOffset DetectedAt { get; init; }
        public Guid ResponsibleOrganisationId { get; init; }
        public string ProtocolCode { get; init; } = "";
        public int ProtocolVersion { get; init; }

        public DeadlineBreachView ToView()
        {
            var late = DetectedAt - DueAt;
            var seconds = (long)Math.Floor(late.TotalSeconds);
            return new DeadlineBreachView(ReferralId, Deadline, DueAt, DetectedAt, seconds, XmlConvert.ToString(TimeSpan.FromSeconds(Math.Max(0, seconds))),
                ResponsibleOrganisationId, ProtocolCode, ProtocolVersion);
        }
    }
}
