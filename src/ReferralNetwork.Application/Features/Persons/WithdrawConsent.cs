using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Referrals;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>
/// Records that a consent was withdrawn (by any organisation that may see the person: the person may tell any of them).
/// From then on no new referral may rely on it or fall under its scope until consent is recorded again; every open
/// referral that relied on it gets a <c>consent_withdrawn</c> timeline entry, and its parties a
/// <c>referral.consent_withdrawn</c> notification. The referrals themselves are not changed: what to do is the
/// responsible organisation's decision, and it stays accountable for it.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record WithdrawConsentCommand(Guid PersonId, Guid ConsentId, string? Reason) : ICommand<ConsentView>;

public sealed class WithdrawConsentValidator : AbstractValidator<WithdrawConsentCommand>
{
    public WithdrawConsentValidator() => RuleFor(c => c.Reason).NotEmpty().IsText(2000);
}

public sealed class WithdrawConsentHandler(IDbSession session, PersonStore persons, ConsentStore consents, IPersonalDataProtector protector,
    ICurrentPrincipal current, IAuditLog audit, Clock clock, ReferralRepository repository) : ICommandHandler<WithdrawConsentCommand, ConsentView>
{
    public const string TimelineAction = "consent_withdrawn";
    public const string OutboxEvent = "referral.consent_withdrawn";

    private static readonly string[] OpenStatuses =
        [.. Enum.GetValues<ReferralStatus>().Where(s => !ReferralStateMachine.IsFinal(s)).Select(s => s.Code())];

    public async ValueTask<ConsentView> Handle(WithdrawConsentCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var now = clock.Now();
        var (person, _) = await persons.FindVisibleAsync(command.PersonId, principal.OrganisationId, ct);
        var consent = await consents.FindAsync(person.Id, command.ConsentId, ct) ?? throw new NotFoundException("The consent");
        if (consent.WithdrawnAt is not null) throw new ConflictException($"The consent was already withdrawn at {consent.WithdrawnAt:O}.");

        // Sealed under the key of the record the consent was given for (a duplicate merged into the person, issue 17, keeps
        // its own). After an erasure there is no key to seal the reason with: the withdrawal is recorded without it.
        var record = await consents.RecordOfAsync(person, consent, ct);
        var key = persons.DataKeyOf(record);
        var connection = await session.ConnectionAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE consents SET withdrawn_at = @Now, withdrawn_by_principal_id = @Principal, withdrawn_by_organisation_id = @Organisation,
                                withdrawal_reason_sealed = @Reason
            WHERE id = @Id AND withdrawn_at IS NULL
            """, new
        {
            consent.Id, Now = now, Principal = principal.Id, Organisation = principal.OrganisationId,
            Reason = key is null ? null : protector.Seal(key, command.Reason!, ConsentRow.WithdrawalContext(consent.Id)),
        }, session.Transaction, cancellationToken: ct));
        if (changed == 0) throw new ConflictException("The consent was withdrawn concurrently.");

        var open = (await connection.QueryAsync<OpenReferral>(new CommandDefinition($"""
            SELECT r.id, r.status, r.referrer_organisation_id AS ReferrerOrganisationId, r.receiver_organisation_id AS ReceiverOrganisationId,
                   r.protocol_version AS ProtocolVersion
            FROM referrals r
            WHERE r.consent_id = @ConsentId AND {session.Dialect.InList("r.status", "@Open")}
            ORDER BY r.created_at, r.id
            """, new { ConsentId = consent.Id, Open = OpenStatuses }, session.Transaction, cancellationToken: ct))).ToList();
        foreach (var referral in open) await AnnounceAsync(referral, consent.Id, principal, now, ct);

        audit.Record(new AuditEntry(AuditStreams.Person(record.Id), "consent.withdrawn", new Dictionary<string, object?>
        {
            ["personId"] = record.Id, ["consentId"] = consent.Id, ["withdrawnByOrganisationId"] = principal.OrganisationId,
            ["openReferralIds"] = open.Select(r => r.Id).ToList(),
        }));
        var row = await consents.FindAsync(person.Id, consent.Id, ct);
        return (await consents.ViewAsync(person, [row!], withReasons: true, ct))[0]; // the caller wrote it
    }

    /// <summary>The timeline entry, the notification to referrer, receiver and observers, and the referral's audit event: through the one write path.</summary>
    private async Task AnnounceAsync(OpenReferral referral, Guid consentId, Principal principal, DateTimeOffset now, CancellationToken ct)
    {
        var loaded = await repository.LoadAsync(referral.Id, ct) ?? throw new InvalidOperationException($"Referral {referral.Id} vanished in its own transaction.");
        await repository.SaveAsync(loaded.Referral.RecordConsentWithdrawn(consentId, principal.AsActor(), now), loaded.Head, ct);
    }

    private sealed record OpenReferral
    {
        public Guid Id { get; init; }
        public string Status { get; init; } = "";
        public Guid ReferrerOrganisationId { get; init; }
        public Guid ReceiverOrganisationId { get; init; }
        public int ProtocolVersion { get; init; }
    }
}
