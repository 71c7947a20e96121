namespace ReferralNetwork.Application.Abstractions;

/// <summary>
/// Marks a request that carries an <c>Idempotency-Key</c> (one per scope). The transaction behaviour begins the command's
/// unit, claims the key in it first (<see cref="Claim"/>) and runs the command in that same unit, but does not commit it:
/// the API stores the HTTP answer in the same transaction and then commits claim, effects and answer at once. Effects and stored answer are therefore atomic — a retry sees either
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
    /// The request's unit of work, begun by the transaction behaviour when the command starts (after its authorization
    /// and validation, so the writer's turn is not held while a body is bound and checked): the key is claimed in it,
    /// the command runs in it, and the caller of <see cref="Begin"/> commits it after storing the answer, or rolls it back.
    /// </summary>
    public UnitOfWork? Held { get; private set; }

    /// <summary>
    /// Claims the key in the held unit. Returns when the key is this request's; throws <see cref="IdempotencyKeySettled"/>
    /// when the key's request is already answered, still running elsewhere, or another's.
    /// </summary>
    public Func<CancellationToken, Task>? Claim { get; private set; }

    public void Begin(Func<CancellationToken, Task> claim)
    {
        Active = true;
        Claim = claim;
    }

    /// <summary>Called by the transaction behaviour with the unit it began for the command.</summary>
    public void Hold(UnitOfWork work) => Held = work;

    public void End()
    {
        Active = false;
        Held = null;
        Claim = null;
        PersonId = null;
    }
}

/// <summary>
/// The key of an idempotent request was found taken when the command started (its first request answered, running,
/// another principal's, or erased since): the command does not run; the API answers from <see cref="Outcome"/>.
/// </summary>
public sealed class IdempotencyKeySettled(object outcome) : Exception("The idempotency key is already settled.")
{
    public object Outcome { get; } = outcome;
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
