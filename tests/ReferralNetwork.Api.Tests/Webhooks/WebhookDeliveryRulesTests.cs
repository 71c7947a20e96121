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
    public void Public_addresses_pass(string address) => Assert.Null(WebhookAddressPolicy.RestrictedRange(IPAddress.Parse(address)));

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
