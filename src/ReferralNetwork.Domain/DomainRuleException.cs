namespace ReferralNetwork.Domain;

/// <summary>
/// The request is understood and allowed, but breaks a rule of the network (the API answers 422).
/// <see cref="Rule"/> is a stable snake_case code partners can branch on; the message is for people.
/// </summary>
public sealed class DomainRuleException : DomainException
{
    public DomainRuleException(string rule, Text message) : base(message)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rule);
        Rule = rule;
    }

    public string Rule { get; }

    /// <summary>What the rule found, for the problem body (e.g. <c>missingSteps</c> of <c>protocol.steps_missing</c>).</summary>
    public IReadOnlyDictionary<string, object?> Details { get; init; } = new Dictionary<string, object?>();
}
