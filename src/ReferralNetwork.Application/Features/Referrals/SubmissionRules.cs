using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Domain.Protocols;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>The pinned protocol's rules for a new referral: who may receive, who must consent, who must observe.</summary>
internal sealed class SubmissionRules(ProtocolDocument protocol, PersonRow person, Guid referrer, string receiverKind, IReadOnlyList<string> services)
{
    public const string GuardianOrganisation = "guardianOrganisation";

    public sealed record ConsentDecision(string? GivenBy, string? Method, bool Override, Guid? ConsentId = null);

    public sealed record Observer(Guid OrganisationId, string Basis);

    public void CheckReceivers()
    {
        foreach (var service in services)
        {
            var rule = protocol.ReceiverRuleFor(service);
            if (rule is null) continue;
            if (rule.Kinds.Count > 0 && !rule.Kinds.Contains(receiverKind))
                throw new RuleViolationException("protocol.receiver_kind",
                    $"Under protocol '{protocol.Code}', '{service}' may be received only by: {string.Join(", ", rule.Kinds)}.");
            if (rule.OnlyReferrer == GuardianOrganisation && person.GuardianOrganisationId != referrer)
                throw new RuleViolationException("protocol.only_guardian_may_refer",
                    $"Under protocol '{protocol.Code}', only the guardian's centre for social work may refer for '{service}'.");
        }
    }

    public ConsentDecision CheckConsent(ConsentInput? consent, EmergencyOverrideInput? emergencyOverride)
    {
        var required = protocol.Consent.RequiredFrom;
        if (consent is not null && consent.GivenBy is not null && (required.Count == 0 || required.Contains(consent.GivenBy)))
            return new ConsentDecision(consent.GivenBy, consent.Method, false, consent.ConsentId);
        if (emergencyOverride is not null)
        {
            if (protocol.Consent.EmergencyOverride is not { Allowed: true })
                throw new RuleViolationException("consent.override_not_allowed", $"Protocol '{protocol.Code}' allows no emergency override of consent.");
            return new ConsentDecision(null, null, true);
        }
        if (required.Count == 0) return new ConsentDecision(null, null, false);
        throw new RuleViolationException("consent.required",
            $"Protocol '{protocol.Code}' requires consent from: {string.Join(" or ", required)}" +
            (protocol.Consent.EmergencyOverride is { Allowed: true } ? ", or an emergency override with a justification." : "."));
    }

    /// <summary>
    /// A consent named by <c>consentId</c> must be the person's, not withdrawn, and cover every service and the receiver;
    /// it then stands for who gave it and how. Without a consentId the inline consent is returned unchanged.
    /// </summary>
    public ConsentInput? CheckRecordedConsent(ConsentInput? consent, IReadOnlyList<ConsentRow> recorded, Guid receiver)
    {
        if (consent?.ConsentId is not { } consentId) return consent;
        var named = recorded.FirstOrDefault(c => c.Id == consentId)
            ?? throw new RuleViolationException("consent.unknown", "No consent with that consentId is recorded for this person.");
        if (named.WithdrawnAt is not null)
            throw new RuleViolationException("consent.withdrawn", $"Consent {consentId} was withdrawn; record renewed consent before referring under it.");
        var scope = named.Scope;
        if (!scope.CoversServices(services))
            throw new RuleViolationException("consent.scope_services",
                $"Consent {consentId} does not cover: {string.Join(", ", services.Where(s => !scope.Services.Contains(s)))}.");
        if (!scope.CoversOrganisation(receiver))
            throw new RuleViolationException("consent.scope_organisations", $"Consent {consentId} does not cover the receiving organisation.");
        return new ConsentInput(named.GivenBy, named.Method, named.Id);
    }

    /// <summary>
    /// A withdrawal blocks every new referral of the person that falls under the withdrawn scope — even one with consent
    /// given inline — until a consent covering it is recorded at or after the withdrawal. (An emergency override is not
    /// consent and is not blocked: it has its own justification and review.)
    /// </summary>
    public void CheckNoWithdrawal(IReadOnlyList<ConsentRow> recorded, Guid receiver)
    {
        var withdrawal = recorded.Where(c => c.WithdrawnAt is not null && c.Scope.Touches(services, receiver)).MaxBy(c => c.WithdrawnAt);
        if (withdrawal is null) return;
        if (recorded.Any(c => c.WithdrawnAt is null && c.CreatedAt >= withdrawal.WithdrawnAt && c.Scope.Covers(services, receiver))) return;
        throw new RuleViolationException("consent.withdrawn",
            $"Consent {withdrawal.Id}, covering this referral, was withdrawn; record renewed consent (POST /persons/{person.Id}/consents) and refer with its consentId.");
    }

    public IEnumerable<Observer> MandatoryObservers()
    {
        foreach (var observer in protocol.MandatoryObservers)
        {
            if (observer == GuardianOrganisation && person.GuardianOrganisationId is { } guardian && guardian != referrer)
                yield return new Observer(guardian, "guardianOrganisation");
        }
    }
}
