using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Application.Features.Protocols;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Protocols;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// The receiver forwards the referral to an organisation better placed to help (requested or received → redirected).
/// In the same transaction the onward referral (receiver → target, FHIR <c>Task.partOf</c> = the original) is submitted
/// under the same pinned protocol. The original referrer stays responsible until the onward referral is accepted or ends.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record RedirectReferralCommand(Guid Id, string? IfMatch, Guid? TargetOrganisationId, string? Note) : ICommand<ReferralView>;

public sealed class RedirectReferralValidator : AbstractValidator<RedirectReferralCommand>
{
    public RedirectReferralValidator()
    {
        RuleFor(c => c.TargetOrganisationId).NotEmpty();
        RuleFor(c => c.Note).IsText(2000);
    }
}

public sealed class RedirectReferralHandler(
    ReferralTransitions transitions, IDbSession session, ProtocolStore protocols, PersonStore persons, IPersonalDataProtector protector, IAuditLog audit)
    : ICommandHandler<RedirectReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(RedirectReferralCommand command, CancellationToken ct)
    {
        var onward = new OnwardReferral(command.TargetOrganisationId!.Value, session, protocols, persons, protector, audit);
        return await transitions.ApplyAsync(new TransitionRequest(command.Id, command.IfMatch, ReferralAction.Redirect) { Note = command.Note, Step = onward }, ct);
    }
}

/// <summary>The onward referral a redirect creates: checked before anything is written, submitted once the original moved.</summary>
internal sealed class OnwardReferral(
    Guid targetOrganisationId, IDbSession session, ProtocolStore protocols, PersonStore persons, IPersonalDataProtector protector, IAuditLog audit)
    : ITransitionStep
{
    private PinnedProtocol? _protocol;
    private SubmissionRules? _rules;

    public async Task CheckAsync(TransitionContext context, CancellationToken ct)
    {
        var referral = context.Referral;
        var connection = await session.ConnectionAsync(ct);
        var target = await connection.QuerySingleOrDefaultAsync<(Guid Id, string Kind, bool Active)>(new CommandDefinition(
            "SELECT id, kind, active FROM organisations WHERE id = @Id", new { Id = targetOrganisationId }, session.Transaction, cancellationToken: ct));
        if (target.Id == Guid.Empty) throw new RuleViolationException("redirect.target_unknown", "No organisation has that targetOrganisationId.");
        if (target.Id == referral.ReferrerOrganisationId || target.Id == referral.ReceiverOrganisationId)
            throw new RuleViolationException("redirect.target_is_party", "Redirect to a third organisation: the referrer and the receiver are already on this referral.");
        if (!target.Active) throw new RuleViolationException("redirect.target_inactive", "The target organisation is not active in the network.");
        var services = Services(referral);
        var offered = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT service_code FROM organisation_services WHERE organisation_id = @Id", new { Id = target.Id }, session.Transaction, cancellationToken: ct))).ToHashSet();
        var missing = services.Where(s => !offered.Contains(s)).ToList();
        if (missing.Count > 0) throw new RuleViolationException("redirect.service_not_offered", $"The target organisation does not offer: {string.Join(", ", missing)}.");
        if (persons.DataKeyOf(context.Person) is null)
            throw new RuleViolationException("person.erased", "The person's data was erased; a new referral needs a new record.");

        // The onward referral is submitted by the receiver, under the protocol the original pinned: its receiver rules apply.
        _protocol = await protocols.VersionAsync(referral.ProtocolCode, referral.ProtocolVersion, ct)
            ?? throw new InvalidOperationException($"Referral {referral.Id} pins a protocol version that does not exist.");
        _rules = new SubmissionRules(_protocol.Document, context.Person, referral.ReceiverOrganisationId, target.Kind, services);
        _rules.CheckReceivers();
    }

    public async Task ApplyAsync(TransitionContext context, CancellationToken ct)
    {
        var (original, now) = (context.Referral, context.Now);
        var id = Guid.CreateVersion7();
        var deadlines = _protocol!.Document.DeadlinesFor(original.Urgency);
        var key = persons.DataKeyOf(context.Person)!;
        // Sealed data is bound to its row, so the original's reason is re-sealed for the onward referral rather than copied.
        var reason = original.ReasonSealed is null ? null
            : protector.Seal(key, protector.Open(key, original.ReasonSealed, $"referral:{original.Id}:reason"), $"referral:{id}:reason");
        var connection = await session.ConnectionAsync(ct);
        // Consent carries over; an emergency override and its review stay with the original, which partOf points to.
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO referrals (id, status, referrer_organisation_id, receiver_organisation_id, responsible_organisation_id, person_id,
                                   protocol_code, protocol_version, urgency, services, acknowledge_by, decide_by, overdue,
                                   consent_given_by, consent_method, consent_id, reason_sealed, part_of, created_at, updated_at, version)
            SELECT @Id, @Status, o.receiver_organisation_id, @Target, o.receiver_organisation_id, o.person_id,
                   o.protocol_code, o.protocol_version, o.urgency, o.services, @AcknowledgeBy, @DecideBy, @Overdue,
                   o.consent_given_by, o.consent_method, o.consent_id, @Reason, o.id, @Now, @Now, 1
            FROM referrals o WHERE o.id = @OriginalId
            """, new
        {
            Id = id, Status = ReferralStatus.Requested.Code(), Target = targetOrganisationId, OriginalId = original.Id, Overdue = false,
            AcknowledgeBy = now + IsoDuration.Parse(deadlines.Acknowledge), DecideBy = now + IsoDuration.Parse(deadlines.Decide), Reason = reason, Now = now,
        }, session.Transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO referral_services (referral_id, service_code) SELECT @Id, s.service_code FROM referral_services s WHERE s.referral_id = @OriginalId",
            new { Id = id, OriginalId = original.Id }, session.Transaction, cancellationToken: ct));
        foreach (var observer in _rules!.MandatoryObservers().Where(o => o.OrganisationId != targetOrganisationId))
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO referral_observers (referral_id, organisation_id, basis) VALUES (@Id, @Org, @Basis)",
                new { Id = id, Org = observer.OrganisationId, observer.Basis }, session.Transaction, cancellationToken: ct));

        await ReferralHistory.OpenResponsibilityAsync(session, id, original.ReceiverOrganisationId, now, ResponsibilityBasis.Submitted, ct);
        await ReferralHistory.AppendTimelineAsync(session, new TimelineEntry(id, now, "submit", null, ReferralStatus.Requested.Code(),
            context.Principal.OrganisationId, context.Principal.Id, null, original.ProtocolVersion, null), ct);
        await ReferralOutbox.WriteAsync(session, "referral.submitted", id, ReferralStatus.Requested, now, ct);
        audit.Record(new AuditEntry(AuditStreams.Referral(id), "referral.submitted", new Dictionary<string, object?>
        {
            ["referralId"] = id, ["partOf"] = original.Id, ["personId"] = original.PersonId, ["referrerOrganisationId"] = original.ReceiverOrganisationId,
            ["receiverOrganisationId"] = targetOrganisationId, ["services"] = Services(original), ["urgency"] = original.Urgency,
            ["protocolCode"] = original.ProtocolCode, ["protocolVersion"] = original.ProtocolVersion, ["responsibleOrganisationId"] = original.ReceiverOrganisationId,
        }));
        context.AuditData["targetOrganisationId"] = targetOrganisationId;
        context.AuditData["onwardReferralId"] = id;
    }

    private static List<string> Services(ReferralRow referral) => [.. referral.Services.Split(',', StringSplitOptions.RemoveEmptyEntries)];
}
