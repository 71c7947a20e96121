using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// Webhook events waiting in <c>outbox_messages</c>, written in the transaction of the change they announce (DESIGN §7),
/// so an event is sent if and only if the change committed. The webhook dispatcher fans them out later; a row names the
/// organisations to notify and carries ids and codes only.
/// </summary>
public static class ReferralOutbox
{
    /// <summary>The event a transition announces: DESIGN §7's names (<c>referral.accepted</c>, <c>referral.on_hold</c>, …).</summary>
    public static string EventFor(ReferralAction action, ReferralStatus to) => action switch
    {
        ReferralAction.Acknowledge => "referral.received",
        ReferralAction.Accept => "referral.accepted",
        ReferralAction.Decline => "referral.rejected",
        ReferralAction.Redirect => "referral.redirected",
        ReferralAction.Start => "referral.started",
        ReferralAction.Hold => "referral.on_hold",
        ReferralAction.Resume => "referral.resumed",
        ReferralAction.Complete => to == ReferralStatus.Failed ? "referral.failed" : "referral.completed",
        ReferralAction.Withdraw => "referral.cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Not a referral action."),
    };

    /// <summary>Queues <paramref name="eventType"/> for the referrer, the receiver and, unless <paramref name="partiesOnly"/>, the observers.</summary>
    public static async Task WriteAsync(IDbSession session, string eventType, Guid referralId, ReferralStatus status, DateTimeOffset at,
        CancellationToken ct, bool partiesOnly = false)
    {
        var connection = await session.ConnectionAsync(ct);
        var parties = await connection.QuerySingleAsync<(Guid Referrer, Guid Receiver)>(new CommandDefinition(
            "SELECT referrer_organisation_id, receiver_organisation_id FROM referrals WHERE id = @Id",
            new { Id = referralId }, session.Transaction, cancellationToken: ct));
        var observers = partiesOnly ? [] : await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT organisation_id FROM referral_observers WHERE referral_id = @Id ORDER BY organisation_id",
            new { Id = referralId }, session.Transaction, cancellationToken: ct));
        await Outbox.EnqueueAsync(session, eventType, referralId, status.Code(), new[] { parties.Referrer, parties.Receiver }.Concat(observers), at, ct);
    }
}
