using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace ReferralNetwork.Infrastructure.Webhooks;

/// <summary>
/// The process's delivery slots: <c>Webhooks:Parallelism</c> attempts in flight at once, at most one per subscription.
/// So a partner that hangs holds one slot, never all of them, and a subscription whose attempt still waits for its
/// answer is skipped by the passes that start meanwhile instead of piling more attempts onto it.
/// </summary>
public sealed class WebhookDeliverySlots(IOptions<WebhookOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<Guid, byte> _busy = new();
    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.Value.Parallelism));

    /// <summary>Subscriptions with an attempt in flight now.</summary>
    public int Busy => _busy.Count;

    /// <summary>Takes a slot for the subscription; false when it is busy already or no slot is free.</summary>
    public bool TryTake(Guid subscriptionId)
    {
        if (!_busy.TryAdd(subscriptionId, 0)) return false;
        if (_slots.Wait(0)) return true;
        _busy.TryRemove(subscriptionId, out _);
        return false;
    }

    public void Release(Guid subscriptionId)
    {
        if (_busy.TryRemove(subscriptionId, out _)) _slots.Release();
    }

    public void Dispose() => _slots.Dispose();
}
