namespace ReferralNetwork.Domain;

// Temporary: the state-machine branch brings DomainException and DomainRuleException; this stub is removed at merge.
public class DomainException(string message) : Exception(message);

public sealed class DomainRuleException(string rule, string message) : DomainException(message)
{
    public string Rule { get; } = rule;
}
