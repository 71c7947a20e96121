namespace ReferralNetwork.Domain;

/// <summary>
/// A rule of the network said no. Each subtype maps to exactly one HTTP status in the API's one exception handler,
/// so handlers let these through instead of catching them.
/// </summary>
public abstract class DomainException : Exception
{
    protected DomainException(Text message) : base(message.ToString()) => Text = message;

    /// <summary>The message with its template, for the API to say it in the caller's language.</summary>
    public Text Text { get; }
}
