using System.Net.Http.Headers;
using System.Text;

namespace ReferralNetwork.Benchmarks;

/// <summary>The requests of each scenario, built from the seeded network and the bulk-loaded referrals.</summary>
public sealed class Scenarios
{
    public const string AcknowledgePath = "/api/v1/referrals/{id}/acknowledge";
    public const string AcceptPath = "/api/v1/referrals/{id}/accept";
    public const string TimelinePath = "/api/v1/referrals/{id}/timeline";
    public const string TrailPath = "/api/v1/audit/referrals/{id}/responsibility";
    public const string VerifyPath = "/api/v1/audit/verify";

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly Network _network;
    private readonly DataGenerator _data;
    private readonly int _count;
    private readonly int[] _requested;
    private int _nextRequested = -1;
    private readonly byte[][] _submitBodies;

    public Scenarios(Network network, DataGenerator data, int count, int seed)
    {
        _network = network;
        _data = data;
        _count = count;
        var random = new Random(seed);
        _requested = data.Requested(network.Big.Index).OrderBy(_ => random.Next()).ToArray();
        _submitBodies = network.Organisations.Select(o => Network.SubmitBody(o.Id, o.Index)).ToArray();
    }

    public int RequestedPool => _requested.Length;
    public int RequestedUsed => Math.Min(_requested.Length, Volatile.Read(ref _nextRequested) + 1);
    public string? DeepCursor { get; set; }

    private static HttpRequestMessage Request(HttpMethod method, string url, string key)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    // ---- submit ---------------------------------------------------------------------------------------------------

    /// <summary>POST /referrals from worker-dependent referrers to the next organisation, a fresh Idempotency-Key each time.</summary>
    public async Task<bool> SubmitAsync(Worker w, CancellationToken ct)
    {
        var orgs = _network.Organisations;
        // Referrers and receivers other than the inbox-heavy organisation, so its inbox stays the bulk-loaded 100k.
        var referrer = orgs[1 + (w.Index + w.Random.Next(orgs.Count - 1)) % (orgs.Count - 1)];
        var receiver = orgs[1 + referrer.Index % (orgs.Count - 1)];
        var request = Request(HttpMethod.Post, "/api/v1/referrals", referrer.Key);
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("D"));
        request.Content = new ByteArrayContent(_submitBodies[receiver.Index]) { Headers = { ContentType = Json } };
        await w.SendAsync(request, ct);
        return true;
    }

    // ---- accept ---------------------------------------------------------------------------------------------------

    private bool TakeRequested(out int index)
    {
        var next = Interlocked.Increment(ref _nextRequested);
        index = next < _requested.Length ? _requested[next] : -1;
        return index >= 0;
    }

    /// <summary>The receiver acknowledges a requested referral (If-Match its version), then accepts it with the ETag it got back.</summary>
    public async Task<bool> AcceptAsync(Worker w, CancellationToken ct)
    {
        if (!TakeRequested(out var i)) return false;
        var id = _data.ReferralIds[i];
        var ack = Request(HttpMethod.Post, $"/api/v1/referrals/{id}/acknowledge", _network.Big.Key);
        ack.Headers.TryAddWithoutValidation("If-Match", $"\"{_data.Versions[i]}\"");
        var answer = await w.SendAsync(ack, ct);
        if (!answer.Ok || answer.ETag is null) return true;
        var accept = Request(HttpMethod.Post, $"/api/v1/referrals/{id}/accept", _network.Big.Key);
        accept.Headers.TryAddWithoutValidation("If-Match", answer.ETag);
        await w.SendAsync(accept, ct);
        return true;
    }

    private async Task AcknowledgeOnlyAsync(Worker w, CancellationToken ct)
    {
        if (!TakeRequested(out var i))
        {
            await SubmitAsync(w, ct);
            return;
        }
        var ack = Request(HttpMethod.Post, $"/api/v1/referrals/{_data.ReferralIds[i]}/acknowledge", _network.Big.Key);
        ack.Headers.TryAddWithoutValidation("If-Match", $"\"{_data.Versions[i]}\"");
        await w.SendAsync(ack, ct);
    }

    // ---- reads ----------------------------------------------------------------------------------------------------

    public async Task<bool> InboxFirstAsync(Worker w, CancellationToken ct)
    {
        await w.SendAsync(Request(HttpMethod.Get, "/api/v1/referrals?box=inbox", _network.Big.Key), ct);
        return true;
    }

    public async Task<bool> InboxDeepAsync(Worker w, CancellationToken ct)
    {
        await w.SendAsync(Request(HttpMethod.Get, $"/api/v1/referrals?box=inbox&cursor={DeepCursor}", _network.Big.Key), ct);
        return true;
    }

    /// <summary>A random one of all bulk-loaded referrals, read by its receiver or its referrer.</summary>
    private (Guid Id, string Key) AnyReferral(Worker w)
    {
        var i = w.Random.Next(_count);
        var org = w.Random.Next(2) == 0 ? _data.Receivers[i] : _data.Referrers[i];
        return (_data.ReferralIds[i], _network.Organisations[org].Key);
    }

    public async Task<bool> TimelineAsync(Worker w, CancellationToken ct)
    {
        var (id, key) = AnyReferral(w);
        await w.SendAsync(Request(HttpMethod.Get, $"/api/v1/referrals/{id}/timeline", key), ct);
        return true;
    }

    public async Task<bool> TrailAsync(Worker w, CancellationToken ct)
    {
        var id = _data.ReferralIds[w.Random.Next(_count)];
        await w.SendAsync(Request(HttpMethod.Get, $"/api/v1/audit/referrals/{id}/responsibility", _network.AuditorKey!), ct);
        return true;
    }

    private async Task GetReferralAsync(Worker w, CancellationToken ct)
    {
        var (id, key) = AnyReferral(w);
        await w.SendAsync(Request(HttpMethod.Get, $"/api/v1/referrals/{id}", key), ct);
    }

    private async Task OtherInboxAsync(Worker w, CancellationToken ct)
    {
        var org = _network.Organisations[1 + w.Random.Next(_network.Organisations.Count - 1)];
        await w.SendAsync(Request(HttpMethod.Get, "/api/v1/referrals?box=inbox", org.Key), ct);
    }

    /// <summary>
    /// 70 % reads: the big inbox 15 %, another inbox 15 %, one referral 20 %, a timeline 20 % (one referral instead when
    /// the timeline is missing). 30 % writes: submissions 20 %, acknowledgements 10 % (submissions when missing).
    /// </summary>
    public Func<Worker, CancellationToken, Task<bool>> Mixed(bool lifecycle) => async (w, ct) =>
    {
        var roll = w.Random.Next(100);
        if (roll < 15) await InboxFirstAsync(w, ct);
        else if (roll < 30) await OtherInboxAsync(w, ct);
        else if (roll < 50) await GetReferralAsync(w, ct);
        else if (roll < 70)
        {
            if (lifecycle) await TimelineAsync(w, ct);
            else await GetReferralAsync(w, ct);
        }
        else if (roll < 90 || !lifecycle) await SubmitAsync(w, ct);
        else await AcknowledgeOnlyAsync(w, ct);
        return true;
    };

    public static async Task<bool> LiveAsync(Worker w, CancellationToken ct)
    {
        await w.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/health/live"), ct);
        return true;
    }

    public static string Text(byte[] buffer, int length) => Encoding.UTF8.GetString(buffer, 0, length);
}
