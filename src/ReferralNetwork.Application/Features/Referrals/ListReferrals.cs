using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// A box of referrals by keyset: newest first (<c>sort=created</c>, on (created_at, id)), or due next (<c>sort=due</c>,
/// issue 17: on (next_due_at, id) — the earliest due time of the open duties, so overdue ones come first — then the
/// referrals with no open duty). A deep page costs what the first does.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
/// <remarks>
/// <c>escalated</c> lists the referrals whose missed deadlines were escalated to the caller's organisation (the protocol's
/// escalation target, e.g. the network coordinator), so it can act: status, parties and deadlines, never identity, reason
/// or notes. <c>mine</c> (issue 16) lists the referrals assigned to the signed-in person on their side. <c>pendingReview=true</c> keeps the emergency overrides still waiting for a supervisor's review.
/// <c>q</c> (issue 17) is a reference (RN-2026-004213) or the person's name or phone, matched through the blind index.
/// <c>personId</c> keeps one person's referrals, with those of the duplicates merged into them.
/// </remarks>
public sealed record ListReferralsQuery(string? Box, string? Status = null, string? Urgency = null, string? Service = null, bool? Overdue = null,
    string? Cursor = null, int? Limit = null, bool? PendingReview = null, string? Q = null, string? Sort = null, Guid? PersonId = null) : IQuery<Page<ReferralView>>;

public sealed class ListReferralsValidator : AbstractValidator<ListReferralsQuery>
{
    public static readonly string[] Boxes = ["inbox", "outbox", "observing", "escalated", "mine"];
    public static readonly string[] Sorts = ["created", "due"];

    public ListReferralsValidator(IDbSession session)
    {
        RuleFor(q => q.Box).NotEmpty().Must(b => b is null || Boxes.Contains(b)).WithMessage("box is one of: inbox, outbox, observing, escalated, mine.");
        RuleFor(q => q.Status).IsCode<ListReferralsQuery, ReferralStatus>();
        RuleFor(q => q.Urgency).IsCode<ListReferralsQuery, Urgency>();
        RuleFor(q => q.Service).IsKnownServiceFilter(session);
        RuleFor(q => q.Limit).IsLimit();
        RuleFor(q => q.Cursor).MaximumLength(200);
        RuleFor(q => q.Q).MaximumLength(100)
            .Must(q => q is null || SearchTerms.Tokens(q).Count > 0).WithMessage("q is a reference (RN-2026-004213) or a name, and needs a letter or a digit.");
        RuleFor(q => q.Sort).Must(s => s is null || Sorts.Contains(s)).WithMessage("sort is one of: created, due.");
    }
}

/// <summary>The filters of a box (status, urgency, service, overdue, pendingReview, q, personId), written once for the list and its counts.</summary>
public sealed record ReferralFilters(string? Status, string? Urgency, string? Service, bool? Overdue, bool? PendingReview, string? Q, Guid? PersonId = null)
{
    /// <summary>Each box's condition on <c>r</c>, for <c>@Org</c> and (mine) <c>@Me</c>.</summary>
    public static string BoxCondition(string box) => box switch
    {
        "inbox" => "r.receiver_organisation_id = @Org",
        "outbox" => "r.referrer_organisation_id = @Org",
        "escalated" => "EXISTS (SELECT 1 FROM referral_escalations re WHERE re.referral_id = r.id AND re.organisation_id = @Org)",
        "mine" => "((r.receiver_organisation_id = @Org AND r.receiver_assignee_id = @Me) OR (r.referrer_organisation_id = @Org AND r.referrer_assignee_id = @Me))",
        _ => "EXISTS (SELECT 1 FROM referral_observers ro WHERE ro.referral_id = r.id AND ro.organisation_id = @Org)",
    };

    /// <summary>The filter conditions, their values added to <paramref name="parameters"/>.</summary>
    public List<string> Conditions(PersonSearchIndex search, DynamicParameters parameters)
    {
        var where = new List<string>();
        if (Status is not null) where.Add("r.status = @Status");
        if (Urgency is not null) where.Add("r.urgency = @Urgency");
        if (Overdue is not null) where.Add("r.overdue = @Overdue");
        if (PendingReview is true) where.Add("r.override_status = @Pending");
        if (PendingReview is false) where.Add("(r.override_status IS NULL OR r.override_status <> @Pending)");
        // q is a reference, or else the person's name (or phone) through the blind index: either way within the box.
        var reference = ReferralReference.Normalise(Q);
        if (reference is not null) where.Add("r.reference = @Reference");
        else if (Q is not null && search.MergedCondition(Q, "r.person_id", parameters) is { } byName) where.Add(byName);
        if (PersonId is not null) where.Add(PersonRow.OfPerson("r.person_id", "@PersonId"));
        if (Service is not null) where.Add("EXISTS (SELECT 1 FROM referral_services rs WHERE rs.referral_id = r.id AND rs.service_code = @Service)");
        parameters.AddDynamicParams(new { Status, Urgency, Overdue, Service, Pending = "pending", Reference = reference, PersonId });
        return where;
    }
}

public sealed class ListReferralsHandler(IDbSession session, ICurrentPrincipal current, PersonSearchIndex search) : IQueryHandler<ListReferralsQuery, Page<ReferralView>>
{
    /// <summary>The cursor position of a referral with no open duty (they come last in <c>sort=due</c>).</summary>
    private static readonly DateTimeOffset NoDue = TimeBounds.Latest.AddTicks(-1);

    public async ValueTask<Page<ReferralView>> Handle(ListReferralsQuery query, CancellationToken ct)
    {
        var organisationId = current.Principal!.OrganisationId;
        if (query.Box == "mine" && current.Principal.UserId is null)
            throw new FluentValidation.ValidationException([new FluentValidation.Results.ValidationFailure("box",
                "box=mine lists a signed-in person's cases; an API key has none of its own.")]);
        var cursor = Common.Cursor.Decode(query.Cursor);
        var limit = query.Limit ?? Paging.DefaultLimit;
        var byDue = query.Sort == "due";
        var parameters = new DynamicParameters();
        var where = new List<string> { ReferralFilters.BoxCondition(query.Box!) };
        where.AddRange(new ReferralFilters(query.Status, query.Urgency, query.Service, query.Overdue, query.PendingReview, query.Q, query.PersonId).Conditions(search, parameters));
        if (cursor is not null && !byDue)
            // The redundant "created_at <= @At" is the range PostgreSQL can seek the (…, created_at, id) index with; from the OR
            // alone it scans the box from its newest row and filters, so page 500 cost 500 pages (SQLite derives the range itself).
            where.Add("r.created_at <= @At AND (r.created_at < @At OR (r.created_at = @At AND r.id < @BeforeId))");
        else if (cursor is { } after && after.At == NoDue)
            where.Add("r.next_due_at IS NULL AND r.id > @BeforeId");
        else if (cursor is not null)
            where.Add("(r.next_due_at IS NULL OR r.next_due_at > @At OR (r.next_due_at = @At AND r.id > @BeforeId))");
        // Due next: the open duties' earliest due time ascending (overdue first), then those with none; NULL sorts differently per engine, hence the CASE.
        var order = byDue ? "CASE WHEN r.next_due_at IS NULL THEN 1 ELSE 0 END, r.next_due_at, r.id" : "r.created_at DESC, r.id DESC";
        var sql = $"""
            SELECT {ReferralRow.Columns}
            FROM referrals r
            WHERE {string.Join(" AND ", where)}
            ORDER BY {order}
            {session.Dialect.Limit("@Take")}
            """;
        var connection = await session.ConnectionAsync(ct);
        parameters.AddDynamicParams(new { Org = organisationId, Me = current.Principal.UserId ?? Guid.Empty, At = cursor?.At, BeforeId = cursor?.Id, Take = limit + 1 });
        var rows = (await connection.QueryAsync<ReferralRow>(new CommandDefinition(sql, parameters, cancellationToken: ct))).ToList();
        var pageRows = rows.Take(limit).ToList();
        var people = pageRows.Count == 0 ? new Dictionary<Guid, PersonRow>() : (await connection.QueryAsync<PersonRow>(new CommandDefinition(
            $"SELECT {PersonRow.Columns} FROM persons p WHERE {session.Dialect.InList("p.id", "@Ids")}", new { Ids = session.Dialect.IdList(pageRows.Select(r => r.PersonId).Distinct()) },
            cancellationToken: ct))).ToDictionary(p => p.Id);
        var page = pageRows.Select(r => query.Box == "escalated" && r.IsEscalationOnly(organisationId)
            ? ReferralReader.ToEscalationView(r, people[r.PersonId].ToSummary())
            : ReferralReader.ToView(r, people[r.PersonId].ToSummary(), r.RelationOf(organisationId), reason: null)).ToList();
        string? next = null;
        if (rows.Count > limit)
            next = (byDue ? new Common.Cursor(pageRows[^1].NextDueAt ?? NoDue, pageRows[^1].Id) : new Common.Cursor(page[^1].CreatedAt, page[^1].Id)).Encode();
        return new Page<ReferralView>(page, next);
    }
}
