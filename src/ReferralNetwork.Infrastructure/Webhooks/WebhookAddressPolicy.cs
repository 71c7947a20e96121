using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Features.Webhooks;

namespace ReferralNetwork.Infrastructure.Webhooks;

/// <summary>Thrown by the connection guard when a host resolves only to addresses webhooks may not reach.</summary>
public sealed class WebhookAddressRefusedException(string message) : Exception(message);

/// <summary>
/// The SSRF guard (OWASP API7). A subscription's host is resolved when it is created, and again on every connection the
/// dispatcher opens (<see cref="ConnectAsync"/>), so a name that later resolves to an internal address (DNS rebinding)
/// still cannot be reached. Unless <c>Webhooks:AllowPrivateNetworks</c> is set, only public unicast addresses are allowed.
/// </summary>
public sealed class WebhookAddressPolicy(IOptionsMonitor<WebhookOptions> options) : IWebhookUrlGuard
{
    private bool AllowPrivateNetworks => options.CurrentValue.AllowPrivateNetworks;

    /// <summary>The kind of non-public range <paramref name="address"/> lies in, or null for a public unicast address.</summary>
    public static string? RestrictedRange(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return "loopback";
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 => "unspecified",
                10 => "private",
                100 when (b[1] & 0xC0) == 64 => "shared (CGNAT)",
                169 when b[1] == 254 => "link-local",
                172 when (b[1] & 0xF0) == 16 => "private",
                192 when b[1] == 168 => "private",
                >= 224 and <= 239 => "multicast",
                >= 240 => "reserved",
                _ => null,
            };
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6Any)) return "unspecified";
            if (address.IsIPv6LinkLocal) return "link-local";
            if (address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal) return "private";
            if (address.IsIPv6Multicast) return "multicast";
            var b = address.GetAddressBytes();
            // NAT64 (64:ff9b::/96) carries an IPv4 address in its last four bytes: judge that one.
            if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
                return RestrictedRange(new IPAddress(b.AsSpan(12, 4)));
            return null;
        }
        return "unsupported";
    }

    public async Task<string?> CheckAsync(Uri url, CancellationToken ct)
    {
        IPAddress[] addresses;
        try
        {
            addresses = await ResolveAsync(url.IdnHost, ct);
        }
        catch (SocketException)
        {
            return "The URL's host name could not be resolved.";
        }
        if (addresses.Length == 0) return "The URL's host name could not be resolved.";
        if (AllowPrivateNetworks) return null;
        var restricted = addresses.Select(RestrictedRange).FirstOrDefault(r => r is not null);
        return restricted is null ? null
            : $"The URL's host resolves to a {restricted} address; webhooks may only be sent to public internet addresses.";
    }

    /// <summary>
    /// <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host itself and connects only to allowed addresses,
    /// so the address checked is the address used.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = await ResolveAsync(endpoint.Host, ct);
        var allowed = AllowPrivateNetworks ? addresses : addresses.Where(a => RestrictedRange(a) is null).ToArray();
        if (allowed.Length == 0)
            throw new WebhookAddressRefusedException(
                $"Refused: the host resolves only to addresses webhooks may not reach ({string.Join(", ", addresses.Select(RestrictedRange).Distinct())}).");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The primary handler of the webhook HTTP client: guarded connections, no redirects, no proxy, no cookies.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        ConnectCallback = ConnectAsync,
        // A redirect would be a second request to an address the subscriber did not register: a 3xx is a failed attempt.
        AllowAutoRedirect = false,
        // Through a proxy the guarded connection would be the proxy's, not the receiver's.
        UseProxy = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        MaxResponseHeadersLength = 64,
        MaxResponseDrainSize = 16 * 1024,
    };

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
}
