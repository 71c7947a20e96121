using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Features.Webhooks;

namespace ReferralNetwork.Infrastructure.Webhooks;

/// <summary>Thrown by the connection guard when a host resolves only to addresses webhooks may not reach.</summary>
public sealed class WebhookAddressRefusedException(string message) : Exception(message);

/// <summary>
/// The SSRF guard (OWASP API7). A subscription's host is resolved when it is created, and again on every connection the
/// dispatcher opens (<see cref="ConnectAsync"/>), so a name that later resolves to an internal address (DNS rebinding)
/// still cannot be reached. Unless <c>Webhooks:AllowPrivateNetworks</c> is set, only public unicast addresses are allowed:
/// every IANA special-purpose range (<see cref="RestrictedRange"/>) and every address of this server's own interfaces is
/// refused.
/// </summary>
public sealed class WebhookAddressPolicy(IOptionsMonitor<WebhookOptions> options, Func<IEnumerable<IPAddress>>? interfaceAddresses = null) : IWebhookUrlGuard
{
    private readonly Func<IEnumerable<IPAddress>> _interfaceAddresses = interfaceAddresses ?? InterfaceAddresses;

    private bool AllowPrivateNetworks => options.CurrentValue.AllowPrivateNetworks;

    /// <summary>Every unicast address of every network interface of this machine.</summary>
    public static IEnumerable<IPAddress> InterfaceAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address);

    /// <summary>An IPv4 or IPv6 network in CIDR form.</summary>
    private readonly record struct Cidr(byte[] Network, int PrefixLength, string Name)
    {
        public static Cidr Parse(string cidr, string name)
        {
            var slash = cidr.IndexOf('/');
            return new Cidr(IPAddress.Parse(cidr[..slash]).GetAddressBytes(), int.Parse(cidr[(slash + 1)..]), name);
        }

        public bool Contains(ReadOnlySpan<byte> address)
        {
            if (address.Length != Network.Length) return false;
            var whole = PrefixLength / 8;
            if (!address[..whole].SequenceEqual(Network.AsSpan(0, whole))) return false;
            var rest = PrefixLength % 8;
            if (rest == 0) return true;
            var mask = (byte)(0xFF << (8 - rest));
            return (address[whole] & mask) == (Network[whole] & mask);
        }
    }

    /// <summary>The IANA IPv4 Special-Purpose Address Registry (RFC 6890 and its updates), plus multicast.</summary>
    private static readonly Cidr[] SpecialIPv4 =
    [
        Cidr.Parse("0.0.0.0/8", "unspecified"),
        Cidr.Parse("10.0.0.0/8", "private"),
        Cidr.Parse("100.64.0.0/10", "shared (CGNAT)"),
        Cidr.Parse("127.0.0.0/8", "loopback"),
        Cidr.Parse("169.254.0.0/16", "link-local"),
        Cidr.Parse("172.16.0.0/12", "private"),
        Cidr.Parse("192.0.0.0/24", "IETF protocol assignments"),
        Cidr.Parse("192.0.2.0/24", "documentation"),
        Cidr.Parse("192.31.196.0/24", "AS112"),
        Cidr.Parse("192.52.193.0/24", "AMT"),
        Cidr.Parse("192.88.99.0/24", "6to4 relay anycast"),
        Cidr.Parse("192.168.0.0/16", "private"),
        Cidr.Parse("192.175.48.0/24", "AS112"),
        Cidr.Parse("198.18.0.0/15", "benchmarking"),
        Cidr.Parse("198.51.100.0/24", "documentation"),
        Cidr.Parse("203.0.113.0/24", "documentation"),
        Cidr.Parse("224.0.0.0/4", "multicast"),
        Cidr.Parse("240.0.0.0/4", "reserved"), // 255.255.255.255 (broadcast) included
    ];

    /// <summary>
    /// The IANA IPv6 Special-Purpose Address Registry inside global unicast (2000::/3), and the named ranges outside it;
    /// anything else outside 2000::/3 is "reserved". The IPv4-embedding forms are judged by their IPv4 address first.
    /// </summary>
    private static readonly Cidr[] SpecialIPv6 =
    [
        Cidr.Parse("2001:db8::/32", "documentation"),
        Cidr.Parse("2001::/23", "IETF protocol assignments"),
        Cidr.Parse("2620:4f:8000::/48", "AS112"),
        Cidr.Parse("3fff::/20", "documentation"),
        Cidr.Parse("100::/64", "discard-only"),
        Cidr.Parse("fe80::/10", "link-local"),
        Cidr.Parse("fec0::/10", "private"),
        Cidr.Parse("fc00::/7", "private"),
        Cidr.Parse("ff00::/8", "multicast"),
    ];

    private static readonly Cidr GlobalUnicast = Cidr.Parse("2000::/3", "global unicast");
    private static readonly Cidr Mapped = Cidr.Parse("::ffff:0:0/96", "IPv4-mapped");
    private static readonly Cidr Compatible = Cidr.Parse("::/96", "IPv4-compatible");
    private static readonly Cidr Nat64 = Cidr.Parse("64:ff9b::/96", "IPv4/IPv6 translation");
    private static readonly Cidr LocalNat64 = Cidr.Parse("64:ff9b:1::/48", "IPv4/IPv6 translation (local use)");
    private static readonly Cidr SixToFour = Cidr.Parse("2002::/16", "6to4");
    private static readonly Cidr Teredo = Cidr.Parse("2001::/32", "Teredo");

    /// <summary>The kind of non-public range <paramref name="address"/> lies in, or null for a public unicast address.</summary>
    public static string? RestrictedRange(IPAddress address) => address.AddressFamily switch
    {
        AddressFamily.InterNetwork => RestrictedIPv4(address.GetAddressBytes()),
        AddressFamily.InterNetworkV6 => RestrictedIPv6(address.GetAddressBytes()),
        _ => "unsupported",
    };

    private static string? RestrictedIPv4(ReadOnlySpan<byte> address)
    {
        foreach (var range in SpecialIPv4)
            if (range.Contains(address)) return range.Name;
        return null;
    }

    private static string? RestrictedIPv6(byte[] b)
    {
        // Forms that carry an IPv4 address: where they lead is decided by that address.
        if (Mapped.Contains(b)) return RestrictedIPv4(b.AsSpan(12, 4));
        if (Compatible.Contains(b))
        {
            if (b.AsSpan(12).IndexOfAnyExcept((byte)0) < 0) return "unspecified";
            if (b.AsSpan(12, 3).IndexOfAnyExcept((byte)0) < 0 && b[15] == 1) return "loopback";
            return RestrictedIPv4(b.AsSpan(12, 4));
        }
        if (Nat64.Contains(b)) return RestrictedIPv4(b.AsSpan(12, 4));
        // The local-use prefix (RFC 8215) in its /96 form carries the IPv4 address last; any other layout is refused.
        if (LocalNat64.Contains(b)) return b.AsSpan(6, 6).IndexOfAnyExcept((byte)0) < 0 ? RestrictedIPv4(b.AsSpan(12, 4)) : LocalNat64.Name;
        if (SixToFour.Contains(b)) return RestrictedIPv4(b.AsSpan(2, 4));
        if (Teredo.Contains(b))
        {
            // The Teredo server's address follows the prefix; the client's is the last 32 bits, inverted (RFC 4380).
            Span<byte> client = [(byte)~b[12], (byte)~b[13], (byte)~b[14], (byte)~b[15]];
            return RestrictedIPv4(b.AsSpan(4, 4)) ?? RestrictedIPv4(client);
        }
        foreach (var range in SpecialIPv6)
            if (range.Contains(b)) return range.Name;
        return GlobalUnicast.Contains(b) ? null : "reserved";
    }

    private sealed record AddressList(DateTime ReadAt, HashSet<IPAddress> Addresses);

    /// <summary>This server's own addresses, re-read at most every few seconds (interfaces come and go).</summary>
    private volatile AddressList _own = new(DateTime.MinValue, []);

    private HashSet<IPAddress> OwnAddresses()
    {
        var own = _own;
        if (DateTime.UtcNow - own.ReadAt < TimeSpan.FromSeconds(10)) return own.Addresses;
        var addresses = new HashSet<IPAddress>();
        try
        {
            foreach (var address in _interfaceAddresses()) addresses.Add(Normalise(address));
        }
        catch (NetworkInformationException)
        {
            // Without the list every special-purpose range is still refused.
        }
        _own = new AddressList(DateTime.UtcNow, addresses);
        return addresses;
    }

    /// <summary>Without scope id, and IPv4-mapped IPv6 as IPv4, so that one address compares equal in every notation.</summary>
    private static IPAddress Normalise(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address.AddressFamily == AddressFamily.InterNetworkV6 ? new IPAddress(address.GetAddressBytes()) : address;

    /// <summary>Why webhooks may not reach <paramref name="address"/>, or null when they may.</summary>
    public string? Refusal(IPAddress address)
    {
        if (AllowPrivateNetworks) return null;
        return RestrictedRange(address) ?? (OwnAddresses().Contains(Normalise(address)) ? "an address of this server" : null);
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
        var refused = addresses.Select(Refusal).FirstOrDefault(r => r is not null);
        return refused is null ? null
            : $"The URL's host resolves to an address webhooks may not reach ({refused}); webhooks may only be sent to public internet addresses.";
    }

    /// <summary>
    /// <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host itself and connects only to allowed addresses,
    /// so the address checked is the address used.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = await ResolveAsync(endpoint.Host, ct);
        var allowed = addresses.Where(a => Refusal(a) is null).ToArray();
        if (allowed.Length == 0)
            throw new WebhookAddressRefusedException(
                $"Refused: the host resolves only to addresses webhooks may not reach ({string.Join(", ", addresses.Select(Refusal).Distinct())}).");
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
