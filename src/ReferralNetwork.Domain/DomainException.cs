namespace ReferralNetwork.Domain;

/// <summary>
/// A rule of the network said no. Each subtype maps to exactly one HTTP status in the API's one exception handler,
/// so handlers let these through instead of catching them.
/// </summary>
public abstract class DomainException : Exception
{
    protected DomainException(string message) : base(message)
    {
    }
}
