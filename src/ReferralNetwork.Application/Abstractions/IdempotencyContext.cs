namespace ReferralNetwork.Application.Abstractions;

/// <summary>
/// Marks a request that carries an <c>Idempotency-Key</c> (one per scope). The API opens the request's unit of work
/// before the command, claims the key in it, and the command runs in that same unit: the transaction behaviour does not
/// commit it, so the API can store the HTTP answer in the same transaction and then commit claim, effects and answer at
/// once. Effects and stored answer are therefore atomic — a retry sees either
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

    /// <summary>
    /// The unit of work the API opened for the request (the key's claim is in it): the command runs in it, and the caller
    /// of <see cref="Begin"/> commits it after storing the answer, or rolls it back.
    /// </summary>
    public UnitOfWork? Held { get; private set; }

    public void Begin(UnitOfWork work)
    {
        Active = true;
        Held = work;
    }

    public void End()
    {
        Active = false;
        Held = null;
        PersonId = null;
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
