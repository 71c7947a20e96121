using Dapper;
using FluentValidation;
using FluentValidation.Results;
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
    IDbSession session, ICurrentPrincipal current, Clock clock, PersonStore persons, ProtocolStore protocols, IPersonalDataProtector protector,
    ConsentStore consents, ReferralRepository repository, ReferralReader reader, EscalationTargets escalation) : ICommandHandler<SubmitReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(SubmitReferralCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var now = clock.Now();
        var services = command.Services!.Distinct().ToList();

        // An existing person is read first: their guardian organisation is looked up with the receiver.
        PersonRow? existing = null;
        if (command.PersonId is { } personId)
        {
            existing = await persons.FindAsync(personId, ct);
            if (existing is null || !await MayReferAsync(existing, principal.OrganisationId, ct))
                throw new RuleViolationException("person.unknown", "No person with that personId is known to your organisation.");
            // A duplicate merged into another record (issue 17) is referred as the record that stays: a partner system
            // that kept the old id still lands on the one history.
            if (existing.MergedIntoId is { } survivor)
                existing = await persons.FindAsync(survivor, ct) ?? throw new InvalidOperationException($"Person {personId} is merged into a person that does not exist.");
            if (existing.ErasedAt is not null) throw new RuleViolationException("person.erased", "The person's data was erased; a new referral needs a new record.");
        }
        var guardianId = existing?.GuardianOrganisationId ?? command.Person?.GuardianOrganisationId;
        var directory = await SubmissionDirectory.ReadAsync(session, command.ReceiverOrganisationId!.Value, guardianId, principal.OrganisationId, services, ct);
        directory.EnsureServicesKnown(services);
        var receiver = directory.Organisation(command.ReceiverOrganisationId.Value)
            ?? throw new RuleViolationException("receiver.unknown", "No organisation has that receiverOrganisationId.");
        if (receiver.Id == principal.OrganisationId) throw new RuleViolationException("receiver.self", "An organisation cannot refer to itself.");
        if (!receiver.Active) throw new RuleViolationException("receiver.inactive", "The receiving organisation is not active in the network.");
        var missing = services.Where(s => !directory.Offered.Contains(s)).ToList();
        if (missing.Count > 0) throw new RuleViolationException("receiver.service_not_offered", $"The receiver does not offer: {string.Join(", ", missing)}.");
        if (existing is null && guardianId is { } g) PersonStore.EnsureGuardianKind(directory.Organisation(g)?.Kind);

        // The guardian's kind was checked just above, from the same read.
        var created = existing is null
            ? await persons.CreateAsync(principal.OrganisationId, command.Person!, ct, guardianId is { } known ? directory.Organisation(known)?.Kind : null)
            : null;
        var person = created?.Row ?? existing!;
        var key = created?.DataKey ?? persons.DataKeyOf(person)!;

        var protocol = await ChooseProtocolAsync(command.ProtocolCode, directory.LatestProtocols, person, now, ct);
        var referred = Referred(person, now);
        var rules = new SubmissionRules(protocol.Document, referred, principal.OrganisationId, receiver.Kind, services);
        rules.CheckChildProtection();
        rules.CheckReceivers();
        // A person created in this request has no recorded consents yet.
        var recordedConsents = created is null ? (await consents.ForPersonAsync(person.Id, ct)).Select(Recorded).ToList() : [];
        var claim = command.Consent is { } c ? new ConsentClaim(c.GivenBy, c.Method, c.ConsentId) : null;
        var consent = rules.CheckConsent(rules.CheckRecordedConsent(claim, recordedConsents, receiver.Id), command.EmergencyOverride is not null);
        if (!consent.Override) rules.CheckNoWithdrawal(recordedConsents, receiver.Id);

        var observers = rules.MandatoryObservers().ToList();
        (Guid Holder, TimeSpan Within)? appointment = null;
        if (referred.IsChildWithoutParents && person.GuardianOrganisationId is null)
        {
            // Issue 13 item 6: no guardian organisation — the municipality's centre for social work must appoint one.
            var holder = directory.MunicipalityCsw ?? await escalation.ForAsync(protocol.Code, protocol.Version, protocol.Document, ct) ?? principal.OrganisationId;
            observers.Add(new Observer(holder, ObserverBasis.MunicipalityCsw));
            appointment = (holder, protocol.Document.GuardianAppointmentSpan);
        }

        var id = Guid.CreateVersion7();
        var deadlines = protocol.Document.DeadlinesFor(command.Urgency!);
        // Numbered last: the counter row stays locked until commit, so as little as possible runs after it.
        var reference = await repository.NextReferenceAsync(now.UtcDateTime.Year, ct);
        var change = Referral.Submit(new Submission
        {
            Id = id, Referrer = principal.OrganisationId, Receiver = receiver.Id, PersonId = person.Id, ProtocolCode = protocol.Code,
            ProtocolVersion = protocol.Version, Urgency = command.Urgency!, Services = services, Reference = reference, Acknowledge = IsoDuration.Parse(deadlines.Acknowledge),
            Decide = IsoDuration.Parse(deadlines.Decide), Observers = observers,
            ConsentBasis = consent.Override ? ConsentBasis.EmergencyOverride : ConsentBasis.Consent, ConsentGivenBy = consent.GivenBy,
            ConsentMethod = consent.Method, ConsentId = consent.ConsentId,
            OverrideReviewWithin = consent.Override ? protocol.Document.Consent.EmergencyOverride!.ReviewWithinSpan : null, GuardianAppointment = appointment,
        }, principal.AsActor(), now);
        await repository.SaveAsync(change, null, ct, new ReferralRepository.Sealed(
            Reason: protector.Seal(key, command.Reason!, $"referral:{id}:reason"),
            OverrideJustification: consent.Override ? protector.Seal(key, command.EmergencyOverride!.Justification!, $"referral:{id}:override") : null));
        return await reader.ViewAsync(new LoadedReferral(change.Referral, person, null, KnownHead.NewStream), principal.OrganisationId, now, ct) with
        {
            Reason = command.Reason,
        };
    }

    public static ReferredPerson Referred(PersonRow person, DateTimeOffset now) =>
        new(person.Id, person.MinimumAge(now.Year), person.VulnerabilityList, person.GuardianOrganisationId);

    private static RecordedConsent Recorded(ConsentRow c) => new(c.Id, c.GivenBy, c.Method, c.CreatedAt, c.WithdrawnAt, c.Scope);

    private async Task<bool> MayReferAsync(PersonRow person, Guid organisationId, CancellationToken ct)
    {
        if (person.OwnerOrganisationId == organisationId) return true;
        var connection = await session.ConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            $"SELECT COUNT(*) FROM referrals r WHERE {PersonRow.OfPerson("r.person_id", "@PersonId")} AND {ReferralRow.VisibleTo}",
            new { PersonId = person.Id, Org = organisationId }, session.Transaction, cancellationToken: ct)) > 0;
    }

    /// <summary>
    /// The named protocol's latest version, or the first that applies to the person (specific ones, with an applicability
    /// rule, before general ones; then by code). The latest versions came with the directory read; their documents are
    /// immutable and read once per process.
    /// </summary>
    private async Task<PinnedProtocol> ChooseProtocolAsync(string? code, IReadOnlyDictionary<string, int> latest, PersonRow person, DateTimeOffset now,
        CancellationToken ct)
    {
        if (code is not null)
            return latest.TryGetValue(code, out var version) && await protocols.VersionAsync(code, version, ct) is { } named ? named
                : throw new RuleViolationException("protocol.unknown", $"No protocol has the code '{code}'.");
        var age = person.MinimumAge(now.Year);
        var candidates = new List<PinnedProtocol>();
        foreach (var (c, v) in latest)
            if (await protocols.VersionAsync(c, v, ct) is { } p) candidates.Add(p);
        return candidates.OrderBy(p => p.Document.AppliesTo is null ? 1 : 0).ThenBy(p => p.Code, StringComparer.Ordinal)
            .FirstOrDefault(p => p.Document.AppliesToPerson(age, person.VulnerabilityList))
            ?? throw new RuleViolationException("protocol.none_applies", "No protocol applies to this person; name one with protocolCode.");
    }
}

/// <summary>
/// What a submission needs from the directory, in one statement: the receiver (and the guardian organisation, if any),
/// the active centres for social work of the referrer's municipality, the receiver's services, which of the requested
/// service codes the catalogue holds, and the latest version of every protocol.
/// </summary>
internal sealed class SubmissionDirectory
{
    public sealed record Org(Guid Id, string Kind, bool Active, DateTimeOffset CreatedAt);

    private readonly Dictionary<Guid, Org> _organisations = [];
    public HashSet<string> Offered { get; } = new(StringComparer.Ordinal);
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    /// <summary>The oldest active centre for social work of the referrer's municipality, if there is one.</summary>
    public Guid? MunicipalityCsw { get; private set; }

    public Org? Organisation(Guid id) => _organisations.GetValueOrDefault(id);

    /// <summary>The latest published version of each protocol code.</summary>
    public Dictionary<string, int> LatestProtocols { get; } = new(StringComparer.Ordinal);

    public void EnsureServicesKnown(IReadOnlyList<string> codes)
    {
        var failures = codes.Select((code, i) => (code, i)).Where(x => !_known.Contains(x.code))
            .Select(x => Failures.Of($"services[{x.i}]", $"'{x.code}' is not in the service catalogue (GET /api/v1/services).")).ToList();
        if (failures.Count > 0) throw new ValidationException(failures);
    }

    public static async Task<SubmissionDirectory> ReadAsync(IDbSession session, Guid receiver, Guid? guardian, Guid referrer, IReadOnlyList<string> services,
        CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"""
            SELECT 1 AS Part, o.id AS Id, o.kind AS Code, o.active AS Active, o.created_at AS CreatedAt, 0 AS Version
            FROM organisations o WHERE o.id = @Receiver OR o.id = @Guardian
            UNION ALL
            SELECT 2, o.id, o.kind, o.active, o.created_at, 0 FROM organisations o
            WHERE o.kind = @Csw AND o.active = @True AND o.id <> @Referrer AND o.municipality = (SELECT m.municipality FROM organisations m WHERE m.id = @Referrer)
            UNION ALL
            SELECT 3, NULL, s.service_code, NULL, NULL, 0 FROM organisation_services s WHERE s.organisation_id = @Receiver
            UNION ALL
            SELECT 4, NULL, c.code, NULL, NULL, 0 FROM services c WHERE c.active = @True AND {session.Dialect.InList("c.code", "@Services")}
            UNION ALL
            SELECT 5, NULL, p.code, NULL, NULL, MAX(p.version) FROM protocols p GROUP BY p.code
            """, new { Receiver = receiver, Guardian = guardian, Referrer = referrer, Csw = "centre_for_social_work", True = true, Services = services.ToArray() },
            session.Transaction, cancellationToken: ct));
        var directory = new SubmissionDirectory();
        var cswCreated = DateTimeOffset.MaxValue;
        foreach (var row in rows)
        {
            switch (row.Part)
            {
                case 1: directory._organisations[row.Id!.Value] = new Org(row.Id.Value, row.Code, row.Active ?? false, row.CreatedAt ?? default); break;
                case 2 when row.CreatedAt < cswCreated: (directory.MunicipalityCsw, cswCreated) = (row.Id, row.CreatedAt.Value); break;
                case 3: directory.Offered.Add(row.Code); break;
                case 4: directory._known.Add(row.Code); break;
                case 5: directory.LatestProtocols[row.Code] = row.Version; break;
            }
        }
        return directory;
    }

    private sealed record Row
    {
        public int Part { get; init; }
        public Guid? Id { get; init; }
        public string Code { get; init; } = "";
        public bool? Active { get; init; }
        public DateTimeOffset? CreatedAt { get; init; }
        public int Version { get; init; }
    }
}
