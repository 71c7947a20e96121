using System.Net;
using Microsoft.Extensions.Options;
using ReferralNetwork.Infrastructure.Webhooks;

namespace ReferralNetwork.Api.Tests.Webhooks;

/// <summary>The address policy and the retry schedule, without a database.</summary>
public sealed class WebhookDeliveryRulesTests
{
    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("127.8.9.10", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("10.0.0.1", "private")]
    [InlineData("172.16.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("192.168.0.1", "private")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("100.64.0.1", "shared (CGNAT)")]
    [InlineData("100.127.255.254", "shared (CGNAT)")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("224.0.0.251", "multicast")]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("fc00::1", "private")]
    [InlineData("fd00:ec2::254", "private")]
    [InlineData("ff02::1", "multicast")]
    [InlineData("::ffff:192.168.1.1", "private")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("64:ff9b::a9fe:a9fe", "link-local")]
    // Found accepted by the security review (issue 14):
    [InlineData("::127.0.0.1", "loopback")]
    [InlineData("::ffff:0:127.0.0.1", "reserved")]
    [InlineData("64:ff9b:1::7f00:1", "loopback")]
    [InlineData("2002:7f00:1::", "loopback")]
    [InlineData("192.0.0.1", "IETF protocol assignments")]
    [InlineData("198.18.0.1", "benchmarking")]
    [InlineData("198.19.255.255", "benchmarking")]
    // Every other IANA special-purpose range, and the IPv4-embedding forms judged by their IPv4 address.
    [InlineData("192.0.2.2", "documentation")]
    [InlineData("198.51.100.7", "documentation")]
    [InlineData("203.0.113.10", "documentation")]
    [InlineData("192.31.196.1", "AS112")]
    [InlineData("192.52.193.1", "AMT")]
    [InlineData("192.88.99.1", "6to4 relay anycast")]
    [InlineData("192.175.48.1", "AS112")]
    [InlineData("0.1.2.3", "unspecified")]
    [InlineData("240.0.0.1", "reserved")]
    [InlineData("2001:db8::1", "documentation")]
    [InlineData("3fff::1", "documentation")]
    [InlineData("2001:2::1", "IETF protocol assignments")]
    [InlineData("2001:10::1", "IETF protocol assignments")]
    [InlineData("2620:4f:8000::1", "AS112")]
    [InlineData("100::1", "discard-only")]
    [InlineData("fec0::1", "private")]
    [InlineData("::a00:1", "private")]
    [InlineData("::ffff:a9fe:a9fe", "link-local")]
    [InlineData("64:ff9b::c000:201", "documentation")]
    [InlineData("64:ff9b:1:1::7f00:1", "IPv4/IPv6 translation (local use)")]
    [InlineData("2002:c0a8:101::1", "private")]
    [InlineData("2002:c000:0201::", "documentation")]
    [InlineData("2001:0:7f00:1::", "loopback")]                    // Teredo: its server's address
    [InlineData("2001:0:5db8:d822::f5ff:fffe", "private")]         // Teredo: its client's address (inverted: 10.0.0.1)
    [InlineData("4000::1", "reserved")]
    [InlineData("5f00::1", "reserved")]
    public void Non_public_addresses_are_named(string address, string range) =>
        Assert.Equal(range, WebhookAddressPolicy.RestrictedRange(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("172.32.0.1")]
    [InlineData("172.15.255.255")]
    [InlineData("100.128.0.1")]
    [InlineData("11.0.0.1")]
    [InlineData("2606:4700::6810:85e5")]
    [InlineData("::ffff:93.184.215.14")]
    [InlineData("64:ff9b::5db8:d70e")]
    [InlineData("64:ff9b:1::5db8:d70e")]
    [InlineData("2002:5db8:d70e::1")]
    [InlineData("192.0.1.1")]
    [InlineData("198.20.0.1")]
    [InlineData("2a00:1450:4001:82a::200e")]
    public void Public_addresses_pass(string address) => Assert.Null(WebhookAddressPolicy.RestrictedRange(IPAddress.Parse(address)));

    [Fact]
    public void An_address_of_this_servers_own_interfaces_is_refused_in_every_notation()
    {
        // A public address that this "server" holds: refused for that reason alone (no connection is made here).
        var own = IPAddress.Parse("93.184.215.14");
        var policy = new WebhookAddressPolicy(new StaticOptions(new WebhookOptions { AllowPrivateNetworks = false }), () => [own]);
        Assert.Equal("an address of this server", policy.Refusal(own));
        Assert.Equal("an address of this server", policy.Refusal(IPAddress.Parse("::ffff:93.184.215.14")));
        Assert.Null(policy.Refusal(IPAddress.Parse("93.184.215.15")));
        var open = new WebhookAddressPolicy(new StaticOptions(new WebhookOptions { AllowPrivateNetworks = true }), () => [own]);
        Assert.Null(open.Refusal(own));
    }

    [Fact]
    public async Task Subscribing_to_an_address_of_this_server_is_refused_without_connecting()
    {
        var own = IPAddress.Parse("93.184.215.14");
        var policy = new WebhookAddressPolicy(new StaticOptions(new WebhookOptions { AllowPrivateNetworks = false }), () => [own]);
        Assert.Contains("an address of this server", await policy.CheckAsync(new Uri("http://93.184.215.14:8080/hook"), CancellationToken.None));
        Assert.Null(await policy.CheckAsync(new Uri("http://93.184.215.15/hook"), CancellationToken.None));
    }

    [Fact]
    public async Task Guarded_connection_refuses_loopback_before_anything_is_sent()
    {
        await using var receiver = await WebhookReceiver.StartAsync(TimeProvider.System);
        var policy = new WebhookAddressPolicy(new StaticOptions(new WebhookOptions { AllowPrivateNetworks = false }));
        using var client = new HttpClient(policy.CreateHandler());
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync(receiver.Url, new StringContent("{}")));
        Assert.IsType<WebhookAddressRefusedException>(error.InnerException);
        Assert.Empty(receiver.Received);

        var open = new WebhookAddressPolicy(new StaticOptions(new WebhookOptions { AllowPrivateNetworks = true }));
        using var allowed = new HttpClient(open.CreateHandler());
        Assert.Equal(HttpStatusCode.OK, (await allowed.PostAsync(receiver.Url, new StringContent("{}"))).StatusCode);
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task Redirects_are_not_followed()
    {
        await using var receiver = await WebhookReceiver.StartAsync(TimeProvider.System);
        receiver.Answer = _ => new ReceiverAnswer(307);
        var policy = new WebhookAddressPolicy(new StaticOptions(new WebhookOptions { AllowPrivateNetworks = true }));
        using var client = new HttpClient(policy.CreateHandler());
        Assert.Equal(HttpStatusCode.TemporaryRedirect, (await client.PostAsync(receiver.Url, new StringContent("{}"))).StatusCode);
    }

    [Fact]
    public void Schedule_is_nine_retries_with_ten_percent_jitter_then_gives_up()
    {
        Assert.Equal(10, WebhookRetrySchedule.MaxAttempts);
        var random = new Random(7);
        for (var failed = 1; failed <= 9; failed++)
        {
            var planned = WebhookRetrySchedule.Delays[failed - 1];
            for (var i = 0; i < 200; i++)
                Assert.InRange(WebhookRetrySchedule.NextDelay(failed, null, random)!.Value, planned * 0.9, planned * 1.1);
        }
        Assert.Null(WebhookRetrySchedule.NextDelay(10, null, random));
        var total = WebhookRetrySchedule.Delays.Aggregate(TimeSpan.Zero, (a, b) => a + b);
        Assert.InRange(total, TimeSpan.FromDays(3), TimeSpan.FromDays(3.5));
    }

    [Fact]
    public void Retry_after_counts_only_when_longer_and_is_capped_at_the_longest_step()
    {
        var random = new Random(7);
        Assert.Equal(TimeSpan.FromMinutes(10), WebhookRetrySchedule.NextDelay(1, TimeSpan.FromMinutes(10), random));
        Assert.InRange(WebhookRetrySchedule.NextDelay(2, TimeSpan.FromSeconds(1), random)!.Value, TimeSpan.FromMinutes(4.5), TimeSpan.FromMinutes(5.5));
        Assert.Equal(TimeSpan.FromHours(24), WebhookRetrySchedule.NextDelay(1, TimeSpan.FromDays(30), random));
    }

    private sealed class StaticOptions(WebhookOptions value) : IOptionsMonitor<WebhookOptions>
    {
        public WebhookOptions CurrentValue => value;
        public WebhookOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<WebhookOptions, string?> listener) => null;
    }
}
