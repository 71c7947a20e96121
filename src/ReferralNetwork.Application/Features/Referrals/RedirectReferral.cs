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
    ReferralTransitions transitions, IDbSession session, ProtocolStore protocols, PersonStore persons, IPersonalDataProtector protector,
    ReferralRepository repository) : ICommandHandler<RedirectReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(RedirectReferralCommand command, CancellationToken ct)
    {
        var onward = new OnwardReferral(command.TargetOrganisationId!.Value, session, protocols, persons, protector, repository);
        return await transitions.ApplyAsync(new TransitionRequest(command.Id, command.IfMatch, ReferralAction.Redirect) { Note = command.Note, Step = onward }, ct);
    }
}

/// <summary>
/// The onward referral a redirect creates: checked before anything is written, submitted once the original moved. Its
/// referrer is the original's receiver; the original referrer follows it as an observer (issue 13 item 5: it stays
/// responsible until the onward referral is accepted or ends, so it must see how the loop closes — status, outcome
/// code and timeline; never notes, and no identity beyond what it already had as the original's referrer).
/// </summary>
internal sealed class OnwardReferral(
    Guid targetOrganisationId, IDbSession session, ProtocolStore protocols, PersonStore persons, IPersonalDataProtector protector, ReferralRepository repository)
    : ITransitionStep
{
    private PinnedProtocol? _protocol;
    private SubmissionRules? _rules;

    public async Task CheckAsync(TransitionContext context, CancellationToken ct)
    {
        var referral = context.Loaded.Referral.State;
        var connection = await session.ConnectionAsync(ct);
        var target = await connection.QuerySingleOrDefaultAsync<(Guid Id, string Kind, bool Active)>(new CommandDefinition(
            "SELECT id, kind, active FROM organisations WHERE id = @Id", new { Id = targetOrganisationId }, session.Transaction, cancellationToken: ct));
        if (target.Id == Guid.Empty) throw new RuleViolationException("redirect.target_unknown", "No organisation has that targetOrganisationId.");
        if (target.Id == referral.Referrer || target.Id == referral.Receiver)
            throw new RuleViolationException("redirect.target_is_party", "Redirect to a third organisation: the referrer and the receiver are already on this referral.");
        if (!target.Active) throw new RuleViolationException("redirect.target_inactive", "The target organisation is not active in the network.");
        var offered = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT service_code FROM organisation_services WHERE organisation_id = @Id", new { Id = target.Id }, session.Transaction, cancellationToken: ct))).ToHashSet();
        var missing = referral.Services.Where(s => !offered.Contains(s)).ToList();
        if (missing.Count > 0) throw new RuleViolationException("redirect.service_not_offered", $"The target organisation does not offer: {string.Join(", ", missing)}.");
        if (persons.DataKeyOf(context.Loaded.Person) is null)
            throw new RuleViolationException("person.erased", "The person's data was erased; a new referral needs a new record.");

        // The onward referral is submitted by the receiver, under the protocol the original pinned: its receiver rules apply.
        _protocol = await protocols.VersionAsync(referral.ProtocolCode, referral.ProtocolVersion, ct)
            ?? throw new InvalidOperationException($"Referral {referral.Id} pins a protocol version that does not exist.");
        _rules = new SubmissionRules(_protocol.Document, SubmitReferralHandler.Referred(context.Loaded.Person, context.Now), referral.Receiver, target.Kind,
            referral.Services);
        _rules.CheckReceivers();
    }

    public async Task ApplyAsync(TransitionContext context, CancellationToken ct)
    {
        var (loaded, now) = (context.Loaded, context.Now);
        var original = loaded.Referral.State;
        var id = Guid.CreateVersion7();
        var deadlines = _protocol!.Document.DeadlinesFor(original.Urgency);
        var key = persons.DataKeyOf(loaded.Person)!;
        // Sealed data is bound to its row, so the original's reason is re-sealed for the onward referral rather than copied.
        var reason = loaded.ReasonSealed is null ? null
            : protector.Seal(key, protector.Open(key, loaded.ReasonSealed, $"referral:{original.Id}:reason"), $"referral:{id}:reason");
        // Consent carries over; an emergency override and its review stay with the original, which partOf points to.
        var observers = _rules!.MandatoryObservers().Where(o => o.OrganisationId != targetOrganisationId)
            .Append(new Observer(original.Referrer, ObserverBasis.OriginalReferrer))
            .ToList();
        var reference = await repository.NextReferenceAsync(now.UtcDateTime.Year, ct);
        var change = Referral.Submit(new Submission
        {
            Reference = reference,
            Id = id, Referrer = original.Receiver, Receiver = targetOrganisationId, PersonId = original.PersonId, ProtocolCode = original.ProtocolCode,
            ProtocolVersion = original.ProtocolVersion, Urgency = original.Urgency, Services = original.Services, PartOf = original.Id,
            Acknowledge = IsoDuration.Parse(deadlines.Acknowledge), Decide = IsoDuration.Parse(deadlines.Decide), Observers = observers,
            ConsentBasis = original.ConsentBasis == ConsentBasis.EmergencyOverride ? ConsentBasis.Consent : original.ConsentBasis,
            ConsentGivenBy = original.ConsentGivenBy, ConsentMethod = original.ConsentMethod, ConsentId = original.ConsentId,
        }, context.Principal.AsActor(), now);
        await repository.SaveAsync(change, null, ct, new ReferralRepository.Sealed(Reason: reason));
        context.AuditData["targetOrganisationId"] = targetOrganisationId;
        context.AuditData["onwardReferralId"] = id;
        context.Onward = new OnwardReferralView(id, ReferralStatus.Requested.Code(), targetOrganisationId);
    }
}
