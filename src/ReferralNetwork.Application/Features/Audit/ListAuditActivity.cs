using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>
/// What an organisation or a principal did, network-wide, in global order: every audit event they are the actor of,
/// filtered by organisation, principal, type and period ([from, to) on occurredAt).
/// </summary>
[AllowedRoles(Role.Auditor)]
public sealed record ListAuditActivityQuery(Guid? OrganisationId = null, Guid? PrincipalId = null, string? Type = null, DateTimeOffset? From = null,
    DateTimeOffset? To = null, string? Cursor = null, int? Limit = null) : IQuery<Page<AuditEventView>>;

public sealed class ListAuditActivityValidator : AbstractValidator<ListAuditActivityQuery>
{
    public ListAuditActivityValidator()
    {
        RuleFor(q => q.Type).MaximumLength(60).Matches("^[a-z][a-z0-9_.]*$").When(q => q.Type is not null);
        RuleFor(q => q.Limit).IsLimit();
        RuleFor(q => q.Cursor).MaximumLength(200);
        this.Period(q => q.From, q => q.To);
    }
}

public sealed class ListAuditActivityHandler(IDbSession session) : IQueryHandler<ListAuditActivityQuery, Page<AuditEventView>>
{
    public async ValueTask<Page<AuditEventView>> Handle(ListAuditActivityQuery query, CancellationToken ct)
    {
        var after = SeqCursor.Decode(query.Cursor);
        var limit = query.Limit ?? Paging.DefaultLimit;
        var where = new List<string> { "1 = 1" };
        if (query.OrganisationId is not null) where.Add("e.organisation_id = @OrganisationId");
        if (query.PrincipalId is not null) where.Add("e.principal_id = @PrincipalId");
        if (query.Type is not null) where.Add("e.type = @Type");
        if (query.From is not null) where.Add("e.occurred_at >= @From");
        if (query.To is not null) where.Add("e.occurred_at < @To");
        if (after is not null) where.Add("e.global_seq > @After");
        var connection = await session.ConnectionAsync(ct);
        var rows = (await connection.QueryAsync<AuditEventRow>(new CommandDefinition($"""
            SELECT {AuditEventRow.Columns}
            FROM audit_events e
            WHERE {string.Join(" AND ", where)}
            ORDER BY e.global_seq
            {session.Dialect.Limit("@Take")}
            """, new { query.OrganisationId, query.PrincipalId, query.Type, query.From, query.To, After = after, Take = limit + 1 }, cancellationToken: ct))).ToList();
        var page = rows.Take(limit).Select(r => r.ToView()).ToList();
        var next = rows.Count > limit ? SeqCursor.Encode(page[^1].OccurredAt, page[^1].GlobalSeq) : null;
        return new Page<AuditEventView>(page, next);
    }
}
