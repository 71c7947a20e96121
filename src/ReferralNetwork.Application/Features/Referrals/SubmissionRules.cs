using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Domain.Protocols;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>The pinned protocol's rules for a new referral: who may receive, who must consent, who must observe.</summary>
internal sealed class SubmissionRules(ProtocolDocument protocol, PersonRow person, Guid referrer, string receiverKind, IReadOnlyList<string> services)
{
    public const string GuardianOrganisation = "guardianOrganisation";

    public sealed record ConsentDecision(string? GivenBy, string? Method, bool Override);

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
            return new ConsentDecision(consent.GivenBy, consent.Method, false);
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

    public IEnumerable<Observer> MandatoryObservers()
    {
        foreach (var observer in protocol.MandatoryObservers)
        {
            if (observer == GuardianOrganisation && person.GuardianOrganisationId is { } guardian && guardian != referrer)
                yield return new Observer(guardian, "guardianOrganisation");
        }
    }
}
