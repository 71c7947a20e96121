using System.Text.Json.Serialization;
using System.Xml;

namespace ReferralNetwork.Domain.Protocols;

/// <summary>
/// A protocol as the network admin publishes it (DESIGN §3). Each referral pins code + version, so a
/// published document is never edited: a change is a new version.
/// </summary>
public sealed record ProtocolDocument
{
    public required string Code { get; init; }
    public required string Title { get; init; }
    public ProtocolApplicability? AppliesTo { get; init; }
    public ConsentRules Consent { get; init; } = new();
    public required IReadOnlyDictionary<string, DeadlineSet> Deadlines { get; init; }
    public IReadOnlyList<string> MandatoryObservers { get; init; } = [];
    public IReadOnlyDictionary<string, ReceiverRule> Receivers { get; init; } = new Dictionary<string, ReceiverRule>();
    public EscalationTarget? EscalateTo { get; init; }
    public IReadOnlyList<string> RequiredFields { get; init; } = [];

    /// <summary>
    /// How long the competent centre for social work has to appoint a guardian for an unaccompanied or separated child
    /// referred without a guardian organisation (issue 13 item 6); an ISO 8601 duration, <c>PT24H</c> when absent.
    /// </summary>
    public string? GuardianAppointmentWithin { get; init; }

    /// <summary>What the receiver does, in order (issue 23); pinned with the version like everything else.</summary>
    public IReadOnlyList<ProtocolStep> Steps { get; init; } = [];

    /// <summary>The steps that apply to a referral asking for <paramref name="services"/>, in the protocol's order.</summary>
    public IReadOnlyList<ProtocolStep> StepsFor(IReadOnlyCollection<string> services) => Steps.Where(s => s.AppliesTo(services)).ToList();

    [JsonIgnore] public TimeSpan GuardianAppointmentSpan => IsoDuration.Parse(GuardianAppointmentWithin ?? "PT24H");

    public DeadlineSet DeadlinesFor(string urgency) =>
        Deadlines.TryGetValue(urgency, out var set) ? set : throw new DomainRuleException("protocol.deadlines", $"Protocol '{Code}' defines no deadlines for urgency '{urgency}'.");

    /// <summary>The receiver rule for a service: its own entry, else the "*" entry, else anything goes.</summary>
    public ReceiverRule? ReceiverRuleFor(string service) =>
        Receivers.TryGetValue(service, out var rule) ? rule : Receivers.TryGetValue("*", out var any) ? any : null;

    public bool AppliesToPerson(int? age, IReadOnlyCollection<string> vulnerabilities) =>
        AppliesTo is null || AppliesTo.Matches(age, vulnerabilities);
}

public sealed record ProtocolApplicability
{
    public int? MaxAge { get; init; }
    public int? MinAge { get; init; }
    public IReadOnlyList<string> VulnerabilitiesAny { get; init; } = [];

    public bool Matches(int? age, IReadOnlyCollection<string> vulnerabilities)
    {
        if (MaxAge is not null && (age is null || age > MaxAge)) return false;
        if (MinAge is not null && (age is null || age < MinAge)) return false;
        return VulnerabilitiesAny.Count == 0 || VulnerabilitiesAny.Any(vulnerabilities.Contains);
    }
}

public sealed record ConsentRules
{
    public IReadOnlyList<string> RequiredFrom { get; init; } = ["person"];
    public EmergencyOverrideRule? EmergencyOverride { get; init; }
}

public sealed record EmergencyOverrideRule
{
    public bool Allowed { get; init; }
    public string ReviewWithin { get; init; } = "PT24H";
    [JsonIgnore] public TimeSpan ReviewWithinSpan => IsoDuration.Parse(ReviewWithin);
}

public sealed record DeadlineSet
{
    public required string Acknowledge { get; init; }
    public required string Decide { get; init; }
    public required string FollowUp { get; init; }
}

public sealed record ReceiverRule
{
    /// <summary>Organisation kinds allowed to receive this service.</summary>
    public IReadOnlyList<string> Kinds { get; init; } = [];
    /// <summary>Only this party may refer for the service (e.g. "guardianOrganisation": the guardian's CSW places a child).</summary>
    public string? OnlyReferrer { get; init; }
}

public sealed record EscalationTarget
{
    public string? OrganisationKind { get; init; }
    public Guid? OrganisationId { get; init; }
}

/// <summary>ISO 8601 durations as protocols write them (PT1H, P7D).</summary>
public static class IsoDuration
{
    public static TimeSpan Parse(string value) => XmlConvert.ToTimeSpan(value);

    public static bool TryParse(string? value, out TimeSpan span)
    {
        span = default;
        if (string.IsNullOrWhiteSpace(value) || !value.StartsWith('P')) return false;
        try
        {
            span = XmlConvert.ToTimeSpan(value);
            return span > TimeSpan.Zero;
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            return false;
        }
    }
}
