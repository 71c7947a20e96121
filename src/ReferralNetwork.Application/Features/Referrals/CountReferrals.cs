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
/// <c>GET /referrals/counts?box=&amp;status=&amp;…</c> (issue 17): how many referrals each box holds under the same filters
/// as the list, so tabs count what they would show. One statement: a COUNT per box, UNION ALL, each on its box's index.
/// Without <c>box</c> every box is counted (<c>mine</c> only for a signed-in person); with it, that box alone — the
/// others are null.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record CountReferralsQuery(string? Box = null, string? Status = null, string? Urgency = null, string? Service = null, bool? Overdue = null,
    bool? PendingReview = null, string? Q = null, Guid? PersonId = null) : IQuery<ReferralCounts>;

public sealed record ReferralCounts(long? Inbox, long? Outbox, long? Observing, long? Escalated, long? Mine);

public sealed class CountReferralsValidator : AbstractValidator<CountReferralsQuery>
{
    public CountReferralsValidator(IDbSession session)
    {
        RuleFor(q => q.Box).Must(b => b is null || ListReferralsValidator.Boxes.Contains(b)).WithMessage("box is one of: inbox, outbox, observing, escalated, mine.");
        RuleFor(q => q.Status).IsCode<CountReferralsQuery, ReferralStatus>();
        RuleFor(q => q.Urgency).IsCode<CountReferralsQuery, Urgency>();
        RuleFor(q => q.Service).IsKnownServiceFilter(session);
        RuleFor(q => q.Q).MaximumLength(100)
            .Must(q => q is null || SearchTerms.Tokens(q).Count > 0).WithMessage("q is a reference (RN-2026-004213) or a name, and needs a letter or a digit.");
    }
}

public sealed class CountReferralsHandler(IDbSession session, ICurrentPrincipal current, PersonSearchIndex search) : IQueryHandler<CountReferralsQuery, ReferralCounts>
{
    public async ValueTask<ReferralCounts> Handle(CountReferralsQuery query, CancellationToken ct)
    {
        var principal = current.Principal!;
        var boxes = query.Box is { } box ? [box] : ListReferralsValidator.Boxes.Where(b => b != "mine" || principal.UserId is not null).ToArray();
        if (boxes.Contains("mine") && principal.UserId is null)
            throw new ValidationException([new FluentValidation.Results.ValidationFailure("box", "box=mine counts a signed-in person's cases; an API key has none of its own.")]);
        var parameters = new DynamicParameters(new { Org = principal.OrganisationId, Me = principal.UserId ?? Guid.Empty });
        var filters = new ReferralFilters(query.Status, query.Urgency, query.Service, query.Overdue, query.PendingReview, query.Q, query.PersonId).Conditions(search, parameters);
        var sql = string.Join("\nUNION ALL\n", boxes.Select(b =>
            $"SELECT '{b}' AS Box, COUNT(*) AS Count FROM referrals r WHERE {string.Join(" AND ", filters.Prepend(ReferralFilters.BoxCondition(b)))}"));
        var connection = await session.ConnectionAsync(ct);
        var counts = (await connection.QueryAsync<(string Box, long Count)>(new CommandDefinition(sql, parameters, cancellationToken: ct)))
            .ToDictionary(c => c.Box, c => (long?)c.Count);
        return new ReferralCounts(counts.GetValueOrDefault("inbox"), counts.GetValueOrDefault("outbox"), counts.GetValueOrDefault("observing"),
            counts.GetValueOrDefault("escalated"), counts.GetValueOrDefault("mine"));
    }
}
