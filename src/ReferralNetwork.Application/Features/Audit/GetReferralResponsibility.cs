using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

public sealed record ResponsibilityPeriodView(Guid OrganisationId, DateTimeOffset From, DateTimeOffset? Until, string Basis, string? ClosedBasis);

public sealed record ResponsibilityTrailView(Guid ReferralId, string Status, Guid ResponsibleOrganisationId, IReadOnlyList<ResponsibilityPeriodView> Periods);

/// <summary>Who was responsible for a referral at every instant (DESIGN §5): periods without gaps or overlaps, oldest first.</summary>
[AllowedRoles(Role.Auditor)]
public sealed record GetReferralResponsibilityQuery(Guid ReferralId) : IQuery<ResponsibilityTrailView>;

public sealed class GetReferralResponsibilityHandler(IDbSession session) : IQueryHandler<GetReferralResponsibilityQuery, ResponsibilityTrailView>
{
    public async ValueTask<ResponsibilityTrailView> Handle(GetReferralResponsibilityQuery query, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var referral = await connection.QuerySingleOrDefaultAsync<(Guid Id, string Status, Guid Responsible)>(new CommandDefinition(
            "SELECT id, status, responsible_organisation_id FROM referrals WHERE id = @Id", new { Id = query.ReferralId }, cancellationToken: ct));
        if (referral.Id == Guid.Empty) throw new NotFoundException("The referral");
        var periods = await connection.QueryAsync<PeriodRow>(new CommandDefinition("""
            SELECT organisation_id AS OrganisationId, from_at AS FromAt, until_at AS UntilAt, basis, closed_basis AS ClosedBasis
            FROM responsibility_periods
            WHERE referral_id = @Id
            ORDER BY seq
            """, new { Id = query.ReferralId }, cancellationToken: ct));
        return new ResponsibilityTrailView(referral.Id, referral.Status, referral.Responsible,
            periods.Select(p => new ResponsibilityPeriodView(p.OrganisationId, p.FromAt, p.UntilAt, p.Basis, p.ClosedBasis)).ToList());
    }

    private sealed record PeriodRow
    {
        public Guid OrganisationId { get; init; }
        public DateTimeOffset FromAt { get; init; }
        public DateTimeOffset? UntilAt { get; init; }
        public string Basis { get; init; } = "";
        public string? ClosedBasis { get; init; }
    }
}
