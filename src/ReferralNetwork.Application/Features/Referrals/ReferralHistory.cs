using Dapper;
using ReferralNetwork.Application.Abstractions;

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
}
