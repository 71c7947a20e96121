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
    /// <summary>True between <see cref="Begin"/> and <see cref="End"/>: an idempotent request is running.</summary>
    public bool Active { get; private set; }

    /// <summary>True once a command's transaction was left open for the caller of <see cref="Begin"/> to commit.</summary>
    public bool HoldsTransaction { get; private set; }

    public void Begin() => Active = true;

    public void End()
    {
        Active = false;
        HoldsTransaction = false;
    }

    /// <summary>Asked by the transaction behaviour before it commits: true means "leave the transaction open".</summary>
    public bool DeferCommit()
    {
        if (!Active || HoldsTransaction) return false;
        HoldsTransaction = true;
        return true;
    }
}
