using System.Text;
using ReferralNetwork.Application.Features.Webhooks;
using ReferralNetwork.Infrastructure.Webhooks;

namespace ReferralNetwork.Api.Tests.Webhooks;

public sealed class WebhookSignatureTests
{
    // The test vector published with the Standard Webhooks reference libraries.
    private const string VectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string VectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long VectorTimestamp = 1614265330;
    private static readonly byte[] VectorBody = Encoding.UTF8.GetBytes("{\"test\": 2432232314}");
    private const string VectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    private static readonly DateTimeOffset VectorTime = DateTimeOffset.FromUnixTimeSeconds(VectorTimestamp);

    [Fact]
    public void Server_signature_reproduces_the_standard_webhooks_test_vector() =>
        Assert.Equal(VectorSignature, WebhookSecrets.Sign(VectorSecret, VectorId, VectorTimestamp, VectorBody));

    [Fact]
    public void Verifier_accepts_the_vector_alone_or_among_other_signatures()
    {
        Assert.True(StandardWebhookVerifier.Verify(VectorSecret, VectorId, $"{VectorTimestamp}", VectorSignature, VectorBody, VectorTime));
        Assert.True(StandardWebhookVerifier.Verify(VectorSecret, VectorId, $"{VectorTimestamp}", "v1,bm9wZQ== " + VectorSignature, VectorBody, VectorTime.AddMinutes(4)));
    }

    [Fact]
    public void Tampered_body_fails_verification()
    {
        var tampered = Encoding.UTF8.GetBytes("{\"test\": 2432232315}");
        Assert.False(StandardWebhookVerifier.Verify(VectorSecret, VectorId, $"{VectorTimestamp}", VectorSignature, tampered, VectorTime));
    }

    [Fact]
    public void Tampered_id_fails_verification() =>
        Assert.False(StandardWebhookVerifier.Verify(VectorSecret, "msg_p5jXN8AQM9LWM0D4loKWxJel", $"{VectorTimestamp}", VectorSignature, VectorBody, VectorTime));

    [Fact]
    public void Tampered_timestamp_fails_verification() =>
        Assert.False(StandardWebhookVerifier.Verify(VectorSecret, VectorId, $"{VectorTimestamp + 1}", VectorSignature, VectorBody, VectorTime));

    [Fact]
    public void Timestamp_older_or_newer_than_five_minutes_fails_verification()
    {
        var body = Encoding.UTF8.GetBytes("""{"type":"referral.accepted"}""");
        var secret = WebhookSecrets.NewSecret();
        var sentAt = new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
        var signature = WebhookSecrets.Sign(secret, "d1", sentAt.ToUnixTimeSeconds(), body);
        Assert.True(StandardWebhookVerifier.Verify(secret, "d1", $"{sentAt.ToUnixTimeSeconds()}", signature, body, sentAt.AddMinutes(5)));
        Assert.False(StandardWebhookVerifier.Verify(secret, "d1", $"{sentAt.ToUnixTimeSeconds()}", signature, body, sentAt.AddMinutes(5).AddSeconds(1)));
        Assert.False(StandardWebhookVerifier.Verify(secret, "d1", $"{sentAt.ToUnixTimeSeconds()}", signature, body, sentAt.AddMinutes(-6)));
    }

    [Fact]
    public void Other_secret_or_missing_headers_fail_verification()
    {
        Assert.False(StandardWebhookVerifier.Verify(WebhookSecrets.NewSecret(), VectorId, $"{VectorTimestamp}", VectorSignature, VectorBody, VectorTime));
        Assert.False(StandardWebhookVerifier.Verify(VectorSecret, null, $"{VectorTimestamp}", VectorSignature, VectorBody, VectorTime));
        Assert.False(StandardWebhookVerifier.Verify(VectorSecret, VectorId, null, VectorSignature, VectorBody, VectorTime));
        Assert.False(StandardWebhookVerifier.Verify(VectorSecret, VectorId, $"{VectorTimestamp}", "v2," + VectorSignature[3..], VectorBody, VectorTime));
    }

    [Fact]
    public void Payload_is_thin_and_the_same_bytes_on_every_attempt()
    {
        var message = new WebhookMessage(Guid.Parse("01900000-0000-7000-8000-000000000001"), "referral.accepted",
            new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero).AddTicks(1230), Guid.Parse("01900000-0000-7000-8000-0000000000aa"), "accepted");
        const string expected = """{"type":"referral.accepted","timestamp":"2026-11-02T08:00:00.000123Z","data":{"referralId":"01900000-0000-7000-8000-0000000000aa","status":"accepted"}}""";
        Assert.Equal(expected, Encoding.UTF8.GetString(message.Body()));
        Assert.Equal(message.Body(), message.Body());
    }

    [Fact]
    public void Secret_is_whsec_and_32_random_bytes()
    {
        var one = WebhookSecrets.NewSecret();
        Assert.StartsWith("whsec_", one);
        Assert.Equal(32, WebhookSecrets.KeyBytes(one).Length);
        Assert.NotEqual(one, WebhookSecrets.NewSecret());
    }
}
