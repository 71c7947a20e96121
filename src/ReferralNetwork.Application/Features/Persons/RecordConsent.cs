using Dapper;
using FluentValidation;
using FluentValidation.Results;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.People;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>
/// Records a consent the caller's organisation obtained: who gave it, how, when, and for which services and receiving
/// organisations. A referral can then rely on it by <c>consent: {consentId}</c>.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
/// <param name="ScanAttachmentId">The consent form's scan (issue 17): an attachment of a referral of the same person that the
/// caller's organisation sees as referrer or receiver.</param>
public sealed record RecordConsentCommand(Guid PersonId, string? GivenBy, string? Method, DateTimeOffset? GivenAt = null, ConsentScopeInput? Scope = null,
    Guid? ScanAttachmentId = null) : ICommand<ConsentView>;

public sealed class RecordConsentValidator : AbstractValidator<RecordConsentCommand>
{
    public RecordConsentValidator(TimeProvider time)
    {
        RuleFor(c => c.GivenBy).NotEmpty().IsCode<RecordConsentCommand, ConsentGiver>();
        RuleFor(c => c.Method).NotEmpty().IsCode<RecordConsentCommand, ConsentMethod>();
        // A few minutes of clock skew between a partner system and the network are tolerated.
        RuleFor(c => c.GivenAt).Must(at => at is null || at <= time.GetUtcNow().AddMinutes(5)).WithMessage("Consent cannot be given in the future.")
            .Must(at => at is null || at >= time.GetUtcNow().AddYears(-20)).WithMessage("givenAt is too far in the past.");
        RuleFor(c => c.Scope!.Services).Must(s => s is null || s.Count <= 20).WithMessage("At most 20 services.").When(c => c.Scope is not null);
        RuleForEach(c => c.Scope!.Services).IsServiceCode().When(c => c.Scope is not null);
        RuleFor(c => c.Scope!.Organisations).Must(o => o is null || o.Count <= 50).WithMessage("At most 50 organisations.").When(c => c.Scope is not null);
        RuleForEach(c => c.Scope!.Organisations).NotEmpty().When(c => c.Scope is not null);
    }
}

public sealed class RecordConsentHandler(IDbSession session, PersonStore persons, ConsentStore consents, ICurrentPrincipal current, IAuditLog audit, Clock clock)
    : ICommandHandler<RecordConsentCommand, ConsentView>
{
    public async ValueTask<ConsentView> Handle(RecordConsentCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var (person, _) = await persons.FindVisibleAsync(command.PersonId, principal.OrganisationId, ct);
        if (person.ErasedAt is not null) throw new RuleViolationException("person.erased", "The person's data was erased; no consent can be recorded for them.");
        if (person.MergedIntoId is { } survivor)
            throw new RuleViolationException("person.merged", $"The person was merged into {survivor}: record the consent there.");
        var services = command.Scope?.Services?.Distinct().ToList() ?? [];
        var organisations = command.Scope?.Organisations?.Distinct().ToList() ?? [];
        await ServiceCodes.EnsureKnownAsync(session, services, "scope.services", ct);
        await EnsureOrganisationsExistAsync(organisations, ct);
        if (command.ScanAttachmentId is { } scan) await EnsureScanAsync(scan, person.Id, principal.OrganisationId, ct);

        var now = clock.Now();
        var id = Guid.CreateVersion7();
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO consents (id, person_id, given_by, method, given_at, obtained_by_principal_id, obtained_by_organisation_id,
                                  scope_services, scope_organisations, scan_attachment_id, created_at)
            VALUES (@Id, @PersonId, @GivenBy, @Method, @GivenAt, @Principal, @Organisation, @Services, @Organisations, @Scan, @Now)
            """, new
        {
            Id = id, PersonId = person.Id, command.GivenBy, command.Method, GivenAt = command.GivenAt ?? now, Principal = principal.Id,
            Organisation = principal.OrganisationId, Services = string.Join(',', services),
            Organisations = string.Join(',', organisations.Select(o => o.ToString("D"))), Scan = command.ScanAttachmentId, Now = now,
        }, session.Transaction, cancellationToken: ct));
        audit.Record(new AuditEntry(AuditStreams.Person(person.Id), "consent.recorded", new Dictionary<string, object?>
        {
            ["personId"] = person.Id, ["consentId"] = id, ["givenBy"] = command.GivenBy, ["method"] = command.Method,
            ["services"] = services, ["organisationIds"] = organisations, ["obtainedByOrganisationId"] = principal.OrganisationId,
            ["scanAttachmentId"] = command.ScanAttachmentId,
        }));
        var row = await consents.FindAsync(person.Id, id, ct) ?? throw new InvalidOperationException($"Consent {id} vanished within its own transaction.");
        return row.ToView(null);
    }

    /// <summary>
    /// 422 unless the scan is a live attachment of one of the person's referrals that the organisation takes part in as
    /// referrer or receiver — the documents it may read; an observer's or a stranger's id is refused the same way.
    /// </summary>
    private async Task EnsureScanAsync(Guid attachmentId, Guid personId, Guid organisationId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var found = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            SELECT COUNT(*) FROM attachments a JOIN referrals r ON r.id = a.referral_id
            WHERE a.id = @Id AND a.person_id = @PersonId AND a.erased_at IS NULL
              AND (r.referrer_organisation_id = @Org OR r.receiver_organisation_id = @Org)
            """, new { Id = attachmentId, PersonId = personId, Org = organisationId }, session.Transaction, cancellationToken: ct));
        if (found == 0)
            throw new RuleViolationException("consent.scan_unknown",
                "scanAttachmentId must name a document attached to a referral of this person that your organisation sent or received.");
    }

    /// <summary>Every organisation named in the scope must be a member of the network (400 naming each unknown one).</summary>
    private async Task EnsureOrganisationsExistAsync(IReadOnlyList<Guid> organisations, CancellationToken ct)
    {
        if (organisations.Count == 0) return;
        var connection = await session.ConnectionAsync(ct);
        var known = (await connection.QueryAsync<Guid>(new CommandDefinition(
            $"SELECT id FROM organisations WHERE {session.Dialect.InList("id", "@Ids")}", new { Ids = session.Dialect.IdList(organisations) },
            session.Transaction, cancellationToken: ct))).ToHashSet();
        var failures = organisations.Select((id, i) => (id, i)).Where(x => !known.Contains(x.id))
            .Select(x => Failures.Of($"scope.organisations[{x.i}]", $"'{x.id}' is not an organisation of the network.")).ToList();
        if (failures.Count > 0) throw new ValidationException(failures);
    }
}
