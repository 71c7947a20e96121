namespace ReferralNetwork.Application.Abstractions;

/// <summary>
/// Marks a request that carries an <c>Idempotency-Key</c> (one per scope). While it is active the transaction behaviour
/// does not commit the command's transaction: it leaves it open so the API can store the HTTP answer in the same
/// transaction and then commit both at once. Effects and stored answer are therefore atomic — a retry sees either
/// nothing (and runs again) or the committed effect with its answer (and gets the answer again), never one without
/// the other. An idempotent endpoint sends exactly one command.
/// </summary>
public sealed class IdempotencyContext
{
    /// <summary>
    /// The person the answer of this request concerns (a referral's person), when there is one: the stored answer is
    /// linked to them, so that erasing the person purges it too. Set by the endpoint from its result.
    /// </summary>
    public Guid? PersonId { get; private set; }

    public void Concerns(Guid personId) => PersonId = personId;

    /// <summary>True between <see cref="Begin"/> and <see cref="End"/>: an idempotent request is running.</summary>
    public bool Active { get; private set; }

    /// <summary>The command's unit of work, left open for the caller of <see cref="Begin"/> to commit or roll back.</summary>
    public UnitOfWork? Held { get; private set; }

    public void Begin() => Active = true;

    public void End()
    {
        Active = false;
        Held = null;
        PersonId = null;
    }

    /// <summary>
    /// Asked by the transaction behaviour before it commits: true means the request's owner took the unit of work over
    /// (and will commit it after storing the answer); false means "commit it yourself".
    /// </summary>
    public bool TryHold(UnitOfWork work)
    {
        if (!Active || Held is not null) return false;
        Held = work.HandOver();
        return true;
    }
}

/// <summary>The states of a row of <c>idempotency_keys</c>.</summary>
public static class IdempotencyStates
{
    /// <summary>Claimed by a request that is still running.</summary>
    public const string InFlight = "in_flight";

    /// <summary>Completed; its answer is stored (sealed) for replay.</summary>
    public const string Done = "done";

    /// <summary>Completed, but the person the answer concerned was erased: the answer is gone, the key stays used.</summary>
    public const string Erased = "erased";
}
