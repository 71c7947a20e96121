using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// A supervisor of the referring organisation reviews an emergency override of consent (DESIGN §2): the referral went
/// out without the consent its protocol requires, so someone senior must confirm it within the protocol's
/// <c>reviewWithin</c> (the referral's <c>reviewBy</c>). A late review is still accepted and says how late it is.
/// A rejected override withdraws the referral (status <c>cancelled</c>, responsibility trail closed with basis
/// <c>override_rejected</c>): the network must not go on acting on a referral nobody may justify — unless it has
/// already reached a final state, which is history and stays as it is.
/// </summary>
[AllowedRoles(Role.Supervisor)]
public sealed record ReviewOverrideCommand(Guid ReferralId, bool? Approved, string? Note) : ICommand<OverrideReviewView>;

public sealed record OverrideReviewView(Guid ReferralId, string OverrideStatus, DateTimeOffset ReviewedAt, DateTimeOffset? ReviewBy, long? LateBySeconds,
    string Status, int Version);

public sealed class ReviewOverrideValidator : AbstractValidator<ReviewOverrideCommand>
{
    public ReviewOverrideValidator()
    {
        RuleFor(c => c.Approved).NotNull();
        // Rejecting stops help for a person at risk: the reason must be on record.
        RuleFor(c => c.Note).NotEmpty().When(c => c.Approved == false).WithMessage("Say why the override is rejected.");
        RuleFor(c => c.Note).IsText(2000);
    }
}

public sealed class ReviewOverrideHandler(
    IDbSession session, IAuditLog audit, ICurrentPrincipal current, Clock clock, ReferralReader reader, PersonStore persons,
    IPersonalDataProtector protector) : ICommandHandler<ReviewOverrideCommand, OverrideReviewView>
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string RejectedBasis = "override_rejected";

    public async ValueTask<OverrideReviewView> Handle(ReviewOverrideCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var now = clock.Now();
        var row = await reader.FindVisibleAsync(command.ReferralId, principal.OrganisationId, ct) ?? throw new NotFoundException("The referral");
        if (row.ReferrerOrganisationId != principal.OrganisationId)
            throw new ForbiddenException("Only a supervisor of the referring organisation reviews its emergency override.");
        var connection = await session.ConnectionAsync(ct);
        var overrideStatus = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT override_status FROM referrals WHERE id = @Id", new { row.Id }, session.Transaction, cancellationToken: ct));
        if (overrideStatus != Pending)
            throw new ConflictException(overrideStatus is null
                ? "This referral was submitted with consent: there is no emergency override to review."
                : $"The emergency override was already reviewed: {overrideStatus}.", new Dictionary<string, object?> { ["overrideStatus"] = overrideStatus });

        var decision = command.Approved!.Value ? Approved : Rejected;
        var from = Wire.Parse<ReferralStatus>(row.Status);
        var withdraw = decision == Rejected && !ReferralStateMachine.IsFinal(from);
        var to = withdraw ? ReferralStatus.Cancelled : from;
        long? lateBy = row.ReviewBy is { } due && now > due ? (long)(now - due).TotalSeconds : null;
        var note = await SealNoteAsync(row, command.Note, ct);

        // Guarded by the states read above: a concurrent review or transition makes this match nothing (409, all rolled back).
        var updated = await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE referrals SET override_status = @Decision, override_reviewed_at = @Now, override_reviewed_by = @By, override_review_note_sealed = @Note,
                   status = @To, {(withdraw ? "finished_at = @Now, responsible_organisation_id = @Responsible," : "")} updated_at = @Now, version = version + 1
            WHERE id = @Id AND override_status = @Pending AND status = @From
            """, new
        {
            Decision = decision, Now = now, By = principal.Id, Note = note, To = to.Code(), row.Id, Pending, From = from.Code(),
            Responsible = Responsibility.ResponsibleAfter(ReferralStatus.Cancelled, row.ReferrerOrganisationId, row.ReceiverOrganisationId),
        }, session.Transaction, cancellationToken: ct));
        if (updated == 0) throw new ConflictException("The referral changed while the override was being reviewed; read it again.");

        if (withdraw) await CloseTrailAsync(row, now, ct);
        await ReferralHistory.AppendTimelineAsync(session, new TimelineEntry(row.Id, now, "override_review", from.Code(), to.Code(), principal.OrganisationId,
            principal.Id, decision, row.ProtocolVersion, lateBy), ct);
        if (withdraw)
            await Outbox.EnqueueAsync(session, "referral.cancelled", row.Id, to.Code(), await PartiesAsync(row, ct), now, ct);
        audit.Record(new AuditEntry(AuditStreams.Referral(row.Id), "referral.override_reviewed", new Dictionary<string, object?>
        {
            ["referralId"] = row.Id, ["decision"] = decision, ["reviewBy"] = row.ReviewBy, ["lateBySeconds"] = lateBy,
            ["fromStatus"] = from.Code(), ["toStatus"] = to.Code(),
            ["responsibleOrganisationId"] = withdraw ? row.ReferrerOrganisationId : row.ResponsibleOrganisationId,
        }));
        return new OverrideReviewView(row.Id, decision, now, row.ReviewBy, lateBy, to.Code(), row.Version + 1);
    }

    /// <summary>
    /// Withdrawal hands responsibility back to the referrer (DESIGN §5) and, the referral being final, closes the trail.
    /// If the receiver had already accepted, its period ends and the referrer's begins and ends at the same instant.
    /// </summary>
    private async Task CloseTrailAsync(ReferralRow row, DateTimeOffset now, CancellationToken ct)
    {
        var responsible = Responsibility.ResponsibleAfter(ReferralStatus.Cancelled, row.ReferrerOrganisationId, row.ReceiverOrganisationId);
        await ReferralHistory.CloseResponsibilityAsync(session, row.Id, now, RejectedBasis, ct);
        if (row.ResponsibleOrganisationId == responsible) return;
        await ReferralHistory.OpenResponsibilityAsync(session, row.Id, responsible, now, RejectedBasis, ct);
        await ReferralHistory.CloseResponsibilityAsync(session, row.Id, now, RejectedBasis, ct);
    }

    /// <summary>The note is free text about a person: sealed under the person's data key, never in the audit trail.</summary>
    private async Task<byte[]?> SealNoteAsync(ReferralRow row, string? note, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(note)) return null;
        var person = await persons.FindAsync(row.PersonId, ct);
        var key = person is null ? null : persons.DataKeyOf(person);
        return key is null ? null : protector.Seal(key, note, $"referral:{row.Id}:override_review");
    }

    private async Task<IReadOnlyList<Guid>> PartiesAsync(ReferralRow row, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var observers = await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT organisation_id FROM referral_observers WHERE referral_id = @Id", new { row.Id }, session.Transaction, cancellationToken: ct));
        return [row.ReferrerOrganisationId, row.ReceiverOrganisationId, .. observers];
    }
}
