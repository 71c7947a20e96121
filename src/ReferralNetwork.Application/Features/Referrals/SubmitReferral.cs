using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Application.Features.Protocols;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.People;
using ReferralNetwork.Domain.Protocols;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

public sealed record ConsentInput(string? GivenBy, string? Method, Guid? ConsentId = null);

public sealed record EmergencyOverrideInput(string? Justification);

[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record SubmitReferralCommand(
    Guid? ReceiverOrganisationId, IReadOnlyList<string>? Services, string? Urgency, string? Reason, string? ProtocolCode = null,
    Guid? PersonId = null, PersonInput? Person = null, ConsentInput? Consent = null, EmergencyOverrideInput? EmergencyOverride = null)
    : ICommand<ReferralView>;

public sealed class SubmitReferralValidator : AbstractValidator<SubmitReferralCommand>
{
    public SubmitReferralValidator(TimeProvider time)
    {
        RuleFor(c => c.ReceiverOrganisationId).NotEmpty();
        RuleFor(c => c.Services).NotEmpty().Must(s => s is null || s.Count <= 10).WithMessage("At most 10 services.");
        RuleForEach(c => c.Services).IsServiceCode();
        RuleFor(c => c.Urgency).NotEmpty().IsCode<SubmitReferralCommand, Urgency>();
        RuleFor(c => c.Reason).NotEmpty().IsText(4000);
        RuleFor(c => c.ProtocolCode).MaximumLength(50);
        RuleFor(c => c).Must(c => (c.PersonId is null) != (c.Person is null))
            .WithName("person").WithMessage("Give either person (inline) or personId, not both.");
        RuleFor(c => c.Person!).SetValidator(new PersonInputValidator(time)).When(c => c.Person is not null);
        RuleFor(c => c.Consent!.GivenBy).NotEmpty().IsCode<SubmitReferralCommand, ConsentGiver>().When(c => c.Consent is not null && c.Consent.ConsentId is null);
        RuleFor(c => c.Consent!.Method).NotEmpty().IsCode<SubmitReferralCommand, ConsentMethod>().When(c => c.Consent is not null && c.Consent.ConsentId is null);
        RuleFor(c => c.EmergencyOverride!.Justification).NotEmpty().IsText(2000).When(c => c.EmergencyOverride is not null);
    }
}

public sealed class SubmitReferralHandler(
    IDbSession session, IAuditLog audit, ICurrentPrincipal current, Clock clock, PersonStore persons, ProtocolStore protocols,
    IPersonalDataProtector protector, ReferralReader reader, ConsentStore consents) : ICommandHandler<SubmitReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(SubmitReferralCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var now = clock.Now();
        var services = command.Services!.Distinct().ToList();
        await ServiceCodes.EnsureKnownAsync(session, services, "services", ct);
        var connection = await session.ConnectionAsync(ct);

        var receiver = await connection.QuerySingleOrDefaultAsync<(Guid Id, string Kind, bool Active)>(new CommandDefinition(
            "SELECT id, kind, active FROM organisations WHERE id = @Id", new { Id = command.ReceiverOrganisationId }, session.Transaction, cancellationToken: ct));
        if (receiver.Id == Guid.Empty) throw new RuleViolationException("receiver.unknown", "No organisation has that receiverOrganisationId.");
        if (receiver.Id == principal.OrganisationId) throw new RuleViolationException("receiver.self", "An organisation cannot refer to itself.");
        if (!receiver.Active) throw new RuleViolationException("receiver.inactive", "The receiving organisation is not active in the network.");
        var offered = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT service_code FROM organisation_services WHERE organisation_id = @Id", new { Id = receiver.Id }, session.Transaction, cancellationToken: ct))).ToHashSet();
        var missing = services.Where(s => !offered.Contains(s)).ToList();
        if (missing.Count > 0) throw new RuleViolationException("receiver.service_not_offered", $"The receiver does not offer: {string.Join(", ", missing)}.");

        var personId = command.PersonId ?? await persons.CreateAsync(principal.OrganisationId, command.Person!, ct);
        var person = await persons.FindAsync(personId, ct);
        if (person is null || !await MayReferAsync(person, principal.OrganisationId, ct)) throw new RuleViolationException("person.unknown", "No person with that personId is known to your organisation.");
        if (person.ErasedAt is not null) throw new RuleViolationException("person.erased", "The person's data was erased; a new referral needs a new record.");

        var protocol = await ChooseProtocolAsync(command.ProtocolCode, person, now, ct);
        var rules = new SubmissionRules(protocol.Document, person, principal.OrganisationId, receiver.Kind, services);
        rules.CheckReceivers();
        var recordedConsents = await consents.ForPersonAsync(person.Id, ct);
        var consent = rules.CheckConsent(rules.CheckRecordedConsent(command.Consent, recordedConsents, receiver.Id), command.EmergencyOverride);
        if (!consent.Override) rules.CheckNoWithdrawal(recordedConsents, receiver.Id);

        var id = Guid.CreateVersion7();
        var deadlines = protocol.Document.DeadlinesFor(command.Urgency!);
        var key = persons.DataKeyOf(person)!;
        var reviewBy = consent.Override ? now + protocol.Document.Consent.EmergencyOverride!.ReviewWithinSpan : (DateTimeOffset?)null;
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO referrals (id, status, referrer_organisation_id, receiver_organisation_id, responsible_organisation_id, person_id,
                                   protocol_code, protocol_version, urgency, services, acknowledge_by, decide_by, review_by, overdue,
                                   consent_given_by, consent_method, consent_id, override_justification_sealed, override_status,
                                   reason_sealed, created_at, updated_at, version)
            VALUES (@Id, @Status, @Referrer, @Receiver, @Referrer, @PersonId, @ProtocolCode, @ProtocolVersion, @Urgency, @Services,
                    @AcknowledgeBy, @DecideBy, @ReviewBy, @Overdue, @GivenBy, @Method, @ConsentId, @Justification, @OverrideStatus, @Reason, @Now, @Now, 1)
            """, new
        {
            Id = id, Status = ReferralStatus.Requested.Code(), Referrer = principal.OrganisationId, Receiver = receiver.Id, PersonId = personId,
            ProtocolCode = protocol.Code, ProtocolVersion = protocol.Version, command.Urgency, Services = string.Join(',', services),
            AcknowledgeBy = now + IsoDuration.Parse(deadlines.Acknowledge), DecideBy = now + IsoDuration.Parse(deadlines.Decide), ReviewBy = reviewBy,
            Overdue = false, consent.GivenBy, consent.Method, consent.ConsentId,
            Justification = consent.Override ? protector.Seal(key, command.EmergencyOverride!.Justification!, $"referral:{id}:override") : null,
            OverrideStatus = consent.Override ? "pending" : null,
            Reason = protector.Seal(key, command.Reason!, $"referral:{id}:reason"), Now = now,
        }, session.Transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("INSERT INTO referral_services (referral_id, service_code) VALUES (@Id, @Code)",
            services.Select(s => new { Id = id, Code = s }), session.Transaction, cancellationToken: ct));
        foreach (var observer in rules.MandatoryObservers())
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO referral_observers (referral_id, organisation_id, basis) VALUES (@Id, @Org, @Basis)",
                new { Id = id, Org = observer.OrganisationId, observer.Basis }, session.Transaction, cancellationToken: ct));
        await ReferralHistory.OpenResponsibilityAsync(session, id, principal.OrganisationId, now, "submitted", ct);
        await ReferralHistory.AppendTimelineAsync(session, new TimelineEntry(id, now, "submit", null, ReferralStatus.Requested.Code(), principal.OrganisationId, principal.Id,
            null, protocol.Version, null), ct);
        await ReferralOutbox.WriteAsync(session, "referral.submitted", id, ReferralStatus.Requested, now, ct);

        audit.Record(new AuditEntry(AuditStreams.Referral(id), "referral.submitted", new Dictionary<string, object?>
        {
            ["referralId"] = id, ["personId"] = personId, ["referrerOrganisationId"] = principal.OrganisationId, ["receiverOrganisationId"] = receiver.Id,
            ["services"] = services, ["urgency"] = command.Urgency, ["protocolCode"] = protocol.Code, ["protocolVersion"] = protocol.Version,
            ["consent"] = consent.Override ? "emergency_override" : consent.GivenBy, ["consentId"] = consent.ConsentId,
            ["responsibleOrganisationId"] = principal.OrganisationId,
        }));
        var row = await reader.FindVisibleAsync(id, principal.OrganisationId, ct);
        return await reader.ViewAsync(row!, principal.OrganisationId, ct);
    }

    private async Task<bool> MayReferAsync(PersonRow person, Guid organisationId, CancellationToken ct)
    {
        if (person.OwnerOrganisationId == organisationId) return true;
        var connection = await session.ConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            $"SELECT COUNT(*) FROM referrals r WHERE r.person_id = @PersonId AND {ReferralRow.VisibleTo}",
            new { PersonId = person.Id, Org = organisationId }, session.Transaction, cancellationToken: ct)) > 0;
    }

    private async Task<PinnedProtocol> ChooseProtocolAsync(string? code, PersonRow person, DateTimeOffset now, CancellationToken ct)
    {
        if (code is not null)
            return await protocols.LatestAsync(code, ct) ?? throw new RuleViolationException("protocol.unknown", $"No protocol has the code '{code}'.");
        var age = person.MinimumAge(now.Year);
        return (await protocols.AllLatestAsync(ct)).FirstOrDefault(p => p.Document.AppliesToPerson(age, person.VulnerabilityList))
            ?? throw new RuleViolationException("protocol.none_applies", "No protocol applies to this person; name one with protocolCode.");
    }
}
