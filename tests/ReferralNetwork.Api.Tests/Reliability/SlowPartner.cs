using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ReferralNetwork.Api.Tests.Reliability;

/// <summary>How a misbehaving partner's endpoint treats each connection.</summary>
public enum PartnerBehaviour
{
    /// <summary>Accepts the connection, reads the request, never sends a byte.</summary>
    Hang,

    /// <summary>Sends the status line and headers one byte every 200 ms, forever.</summary>
    Trickle,

    /// <summary>Answers 200, but only after 60 s.</summary>
    AnswerAfterAMinute,

    /// <summary>Answers 200 at once: the partner is back.</summary>
    Answer,
}

/// <summary>
/// A partner's webhook endpoint written on a raw socket, so that it can do what no web server does on purpose: accept
/// and never answer, trickle, answer a minute late. Loopback only (127.0.0.1 and a free port). It records the
/// <c>webhook-id</c> of every request it read and of every one it answered 200.
/// </summary>
public sealed class SlowPartner : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly Task _accepting;

    public SlowPartner(PartnerBehaviour behaviour)
    {
        Behaviour = behaviour;
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hooks";
        _accepting = AcceptAsync();
    }

    public PartnerBehaviour Behaviour { get; set; }
    public string Url { get; }
    public ConcurrentQueue<string> Requests { get; } = new();
    public ConcurrentQueue<string> Answered { get; } = new();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _clients.Add(client);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            while (!_stop.IsCancellationRequested)
            {
                var id = await ReadRequestAsync(stream);
                if (id is null) return;
                Requests.Enqueue(id);
                switch (Behaviour)
                {
                    case PartnerBehaviour.Hang:
                        await Task.Delay(Timeout.Infinite, _stop.Token);
                        return;
                    case PartnerBehaviour.Trickle:
                        foreach (var b in Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nX-Slow: " + new string('a', 10_000)))
                        {
                            await stream.WriteAsync(new[] { b }, _stop.Token);
                            await Task.Delay(200, _stop.Token);
                        }
                        return;
                    case PartnerBehaviour.AnswerAfterAMinute:
                        await Task.Delay(TimeSpan.FromSeconds(60), _stop.Token);
                        await AnswerAsync(stream, id);
                        break;
                    default:
                        await AnswerAsync(stream, id);
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The dispatcher gave up and closed the connection, or the test ended.
        }
        finally
        {
            client.Dispose();
        }
    }

    private async Task AnswerAsync(NetworkStream stream, string id)
    {
        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), _stop.Token);
        Answered.Enqueue(id);
    }

    /// <summary>Reads one request (headers and a Content-Length body); its webhook-id, or null when the peer closed.</summary>
    private async Task<string?> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!EndsWithBlankLine(buffer))
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0) return null;
            buffer.Add(one[0]);
        }
        var headers = Encoding.ASCII.GetString(buffer.ToArray()).Split("\r\n");
        string? Header(string name) => headers.FirstOrDefault(h => h.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim();
        var length = int.Parse(Header("Content-Length") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var body = new byte[length];
        var read = 0;
        while (read < length)
        {
            var n = await stream.ReadAsync(body.AsMemory(read), _stop.Token);
            if (n == 0) return null;
            read += n;
        }
        return Header("webhook-id") ?? "";
    }

    private static bool EndsWithBlankLine(List<byte> b) =>
        b.Count >= 4 && b[^4] == '\r' && b[^3] == '\n' && b[^2] == '\r' && b[^1] == '\n';

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var client in _clients) client.Dispose();
        try { await _accepting; } catch (Exception) { }
        _stop.Dispose();
    }
}
