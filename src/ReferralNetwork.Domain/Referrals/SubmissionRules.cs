using ReferralNetwork.Domain.People;
using ReferralNetwork.Domain.Protocols;

namespace ReferralNetwork.Domain.Referrals;

/// <summary>A consent as the referrer states it: inline (who gave it and how) or by the id of a recorded one.</summary>
public sealed record ConsentClaim(string? GivenBy, string? Method, Guid? ConsentId = null);

/// <summary>A consent on record for the person.</summary>
public sealed record RecordedConsent(Guid Id, string GivenBy, string Method, DateTimeOffset CreatedAt, DateTimeOffset? WithdrawnAt, ConsentScope Scope);

/// <summary>The person as the submission rules see them.</summary>
public sealed record ReferredPerson(Guid Id, int MinimumAge, IReadOnlyCollection<string> Vulnerabilities, Guid? GuardianOrganisationId)
{
    /// <summary>Under 18 (as far as the birth year tells) and an unaccompanied or separated child.</summary>
    public bool IsChildWithoutParents => MinimumAge < 18 && Vulnerabilities.Any(v => v is "unaccompanied_child" or "separated_child");
}

/// <summary>
/// The pinned protocol's rules for a new referral (DESIGN §3): who may receive, who must consent, who must observe. Pure:
/// the handler reads what they need and passes it in; every refusal is a <see cref="DomainRuleException"/> (422).
/// </summary>
public sealed class SubmissionRules(ProtocolDocument protocol, ReferredPerson person, Guid referrer, string receiverKind, IReadOnlyList<string> services)
{
    public const string GuardianOrganisation = ObserverBasis.GuardianOrganisation;

    public sealed record ConsentDecision(string? GivenBy, string? Method, bool Override, Guid? ConsentId = null);

    /// <summary>
    /// An unaccompanied or separated child is referred only under a protocol that brings in the guardian's (or the
    /// municipality's) centre for social work (issue 13 item 6).
    /// </summary>
    public void CheckChildProtection()
    {
        if (person.IsChildWithoutParents && !protocol.MandatoryObservers.Contains(GuardianOrganisation))
            throw new DomainRuleException("protocol.child_protection_required",
                $"An unaccompanied or separated child is referred under a protocol that brings in the guardian's centre for social work (such as child-protection), not '{protocol.Code}'.");
    }

    public void CheckReceivers()
    {
        foreach (var service in services)
        {
            var rule = protocol.ReceiverRuleFor(service);
            if (rule is null) continue;
            if (rule.Kinds.Count > 0 && !rule.Kinds.Contains(receiverKind))
                throw new DomainRuleException("protocol.receiver_kind",
                    $"Under protocol '{protocol.Code}', '{service}' may be received only by: {string.Join(", ", rule.Kinds)}.");
            if (rule.OnlyReferrer == GuardianOrganisation && person.GuardianOrganisationId != referrer)
                throw new DomainRuleException("protocol.only_guardian_may_refer",
                    $"Under protocol '{protocol.Code}', only the guardian's centre for social work may refer for '{service}'.");
        }
    }

    public ConsentDecision CheckConsent(ConsentClaim? consent, bool emergencyOverride)
    {
        var required = protocol.Consent.RequiredFrom;
        if (consent is not null && consent.GivenBy is not null && (required.Count == 0 || required.Contains(consent.GivenBy)))
            return new ConsentDecision(consent.GivenBy, consent.Method, false, consent.ConsentId);
        if (emergencyOverride)
        {
            if (protocol.Consent.EmergencyOverride is not { Allowed: true })
                throw new DomainRuleException("consent.override_not_allowed", $"Protocol '{protocol.Code}' allows no emergency override of consent.");
            return new ConsentDecision(null, null, true);
        }
        if (required.Count == 0) return new ConsentDecision(null, null, false);
        throw new DomainRuleException("consent.required",
            protocol.Consent.EmergencyOverride is { Allowed: true }
                ? (Text)$"Protocol '{protocol.Code}' requires consent from: {string.Join(" or ", required)}, or an emergency override with a justification."
                : (Text)$"Protocol '{protocol.Code}' requires consent from: {string.Join(" or ", required)}.");
    }

    /// <summary>
    /// A consent named by <c>consentId</c> must be the person's, not withdrawn, and cover every service and the receiver;
    /// it then stands for who gave it and how. Without a consentId the inline consent is returned unchanged.
    /// </summary>
    public ConsentClaim? CheckRecordedConsent(ConsentClaim? consent, IReadOnlyList<RecordedConsent> recorded, Guid receiver)
    {
        if (consent?.ConsentId is not { } consentId) return consent;
        var named = recorded.FirstOrDefault(c => c.Id == consentId)
            ?? throw new DomainRuleException("consent.unknown", "No consent with that consentId is recorded for this person.");
        if (named.WithdrawnAt is not null)
            throw new DomainRuleException("consent.withdrawn", $"Consent {consentId} was withdrawn; record renewed consent before referring under it.");
        var scope = named.Scope;
        if (!scope.CoversServices(services))
            throw new DomainRuleException("consent.scope_services",
                $"Consent {consentId} does not cover: {string.Join(", ", services.Where(s => !scope.Services.Contains(s)))}.");
        if (!scope.CoversOrganisation(receiver))
            throw new DomainRuleException("consent.scope_organisations", $"Consent {consentId} does not cover the receiving organisation.");
        return new ConsentClaim(named.GivenBy, named.Method, named.Id);
    }

    /// <summary>
    /// A withdrawal blocks every new referral of the person that falls under the withdrawn scope — even one with consent
    /// given inline — until a consent covering it is recorded at or after the withdrawal. (An emergency override is not
    /// consent and is not blocked: it has its own justification and review.)
    /// </summary>
    public void CheckNoWithdrawal(IReadOnlyList<RecordedConsent> recorded, Guid receiver)
    {
        var withdrawal = recorded.Where(c => c.WithdrawnAt is not null && c.Scope.Touches(services, receiver)).MaxBy(c => c.WithdrawnAt);
        if (withdrawal is null) return;
        if (recorded.Any(c => c.WithdrawnAt is null && c.CreatedAt >= withdrawal.WithdrawnAt && c.Scope.Covers(services, receiver))) return;
        throw new DomainRuleException("consent.withdrawn",
            $"Consent {withdrawal.Id}, covering this referral, was withdrawn; record renewed consent (POST /persons/{person.Id}/consents) and refer with its consentId.");
    }

    public IEnumerable<Observer> MandatoryObservers()
    {
        foreach (var observer in protocol.MandatoryObservers)
        {
            if (observer == GuardianOrganisation && person.GuardianOrganisationId is { } guardian && guardian != referrer)
                yield return new Observer(guardian, GuardianOrganisation);
        }
    }
}
