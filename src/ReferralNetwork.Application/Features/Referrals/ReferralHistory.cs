using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

public sealed record TimelineEntry(Guid ReferralId, DateTimeOffset OccurredAt, string Action, string? FromStatus, string ToStatus, Guid OrganisationId,
    Guid PrincipalId, string? Code, int ProtocolVersion, long? LateBySeconds);

/// <summary>The timeline parties see and the responsibility periods auditors read, written beside each transition.</summary>
public static class ReferralHistory
{
    public static async Task AppendTimelineAsync(IDbSession session, TimelineEntry entry, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO referral_timeline (referral_id, seq, occurred_at, action, from_status, to_status, organisation_id, principal_id, code, protocol_version, late_by_seconds)
            SELECT @ReferralId, COALESCE(MAX(t.seq), 0) + 1, @OccurredAt, @Action, @FromStatus, @ToStatus, @OrganisationId, @PrincipalId, @Code,
                   @ProtocolVersion, @LateBySeconds
            FROM referral_timeline t WHERE t.referral_id = @ReferralId
            """, entry, session.Transaction, cancellationToken: ct));
    }

    public static async Task OpenResponsibilityAsync(IDbSession session, Guid referralId, Guid organisationId, DateTimeOffset from, string basis, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO responsibility_periods (referral_id, seq, organisation_id, from_at, until_at, basis)
            SELECT @ReferralId, COALESCE(MAX(p.seq), 0) + 1, @OrganisationId, @From, NULL, @Basis
            FROM responsibility_periods p WHERE p.referral_id = @ReferralId
            """, new { ReferralId = referralId, OrganisationId = organisationId, From = from, Basis = basis }, session.Transaction, cancellationToken: ct));
    }

    public static async Task CloseResponsibilityAsync(IDbSession session, Guid referralId, DateTimeOffset until, string basis, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE responsibility_periods SET until_at = @Until, closed_basis = @Basis WHERE referral_id = @ReferralId AND until_at IS NULL",
            new { ReferralId = referralId, Until = until, Basis = basis }, session.Transaction, cancellationToken: ct));
    }

    /// <summary>The stored trail of a referral now in <paramref name="status"/>, rebuilt by the domain (which refuses a broken one).</summary>
    public static async Task<ResponsibilityTrail> LoadTrailAsync(IDbSession session, Guid referralId, ReferralStatus status, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var periods = await connection.QueryAsync<PeriodRow>(new CommandDefinition("""
            SELECT organisation_id AS OrganisationId, from_at AS FromAt, until_at AS UntilAt, basis
            FROM responsibility_periods WHERE referral_id = @ReferralId ORDER BY seq
            """, new { ReferralId = referralId }, session.Transaction, cancellationToken: ct));
        return ResponsibilityTrail.Restore(periods.Select(p => new ResponsibilityPeriod(p.OrganisationId, p.FromAt, p.UntilAt, p.Basis)), status);
    }

    /// <summary>Persists what the trail reported, in order: an opening is an INSERT, a closing an UPDATE of that row.</summary>
    public static async Task SaveTrailChangesAsync(IDbSession session, Guid referralId, IEnumerable<ResponsibilityChange> changes, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        foreach (var change in changes)
        {
            // The domain counts periods from 0; the table's seq starts at 1 (the submission period).
            var row = new
            {
                ReferralId = referralId, Seq = change.Sequence + 1, change.Period.OrganisationId, change.Period.From, change.Period.Until,
                change.Period.Basis, ClosedBasis = change.Basis,
            };
            var sql = change.Kind switch
            {
                ChangeKind.Opened => """
                    INSERT INTO responsibility_periods (referral_id, seq, organisation_id, from_at, until_at, basis)
                    VALUES (@ReferralId, @Seq, @OrganisationId, @From, @Until, @Basis)
                    """,
                ChangeKind.Closed => "UPDATE responsibility_periods SET until_at = @Until, closed_basis = @ClosedBasis WHERE referral_id = @ReferralId AND seq = @Seq",
                _ => throw new ArgumentOutOfRangeException(nameof(changes), change.Kind, "Not a responsibility change."),
            };
            await connection.ExecuteAsync(new CommandDefinition(sql, row, session.Transaction, cancellationToken: ct));
        }
    }

    /// <summary>What the audit event says about a responsibility change: ids, codes and times only.</summary>
    public static object Describe(ResponsibilityChange change) => new Dictionary<string, object?>
    {
        ["change"] = change.Kind == ChangeKind.Opened ? "opened" : "closed", ["seq"] = change.Sequence + 1,
        ["organisationId"] = change.Period.OrganisationId, ["basis"] = change.Basis,
        ["at"] = change.Kind == ChangeKind.Opened ? change.Period.From : change.Period.Until,
    };

    // Init properties rather than a constructor: Dapper then goes through the type handlers (SQLite stores ids and times as text).
    private sealed record PeriodRow
    {
        public Guid OrganisationId { get; init; }
        public DateTimeOffset FromAt { get; init; }
        public DateTimeOffset? UntilAt { get; init; }
        public string Basis { get; init; } = "";
    }
}
