using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Infrastructure.Webhooks;

namespace ReferralNetwork.Api.Tests.Webhooks;

/// <summary>Delivery end to end: outbox → fan-out → signed POST to a real receiver → retries, leases, 410, redelivery.</summary>
public abstract class WebhookDeliveryTests(ApiFixture fixture)
{
    private readonly WebhookTestApi _api = new(fixture);

    [Fact]
    public async Task Receiver_failing_three_times_gets_the_event_on_the_fourth_attempt_signed_and_byte_exact()
    {
        await using var receiver = await WebhookReceiver.StartAsync(fixture.Time);
        receiver.Answer = r => new ReceiverAnswer(r.AttemptForId <= 3 ? 500 : 200);
        var referrer = await _api.Network.OrganisationAsync();
        var ngo = await _api.Network.OrganisationAsync();
        var partner = await _api.ClientWithRoleAsync(ngo.Id, "partner_system");
        var subscription = await _api.SubscribeAsync(partner, receiver.Url, "referral.submitted");

        var referral = await _api.Network.SubmitAsync(referrer, ngo);
        await _api.DispatchAsync();
        Assert.Single(receiver.Received);
        await _api.DispatchAsync(); // not due yet: the first retry waits about 5 s
        Assert.Single(receiver.Received);

        foreach (var delay in WebhookRetrySchedule.Delays.Take(3))
        {
            fixture.Time.Advance(delay * 1.1 + TimeSpan.FromSeconds(1));
            await _api.DispatchAsync();
        }
        Assert.Equal(4, receiver.Received.Count);
        fixture.Time.Advance(TimeSpan.FromDays(2));
        await _api.DispatchAsync();
        Assert.Equal(4, receiver.Received.Count); // delivered: never sent again

        var received = receiver.Received;
        Assert.Single(received.Select(r => r.Id).Distinct()); // webhook-id is stable across retries
        Assert.All(received, r => Assert.True(StandardWebhookVerifier.Verify(subscription.Secret, r), "signature does not verify"));
        var last = received[^1];
        Assert.False(StandardWebhookVerifier.Verify(subscription.Secret, last with { Body = [.. last.Body[..^1], (byte)' '] }));
        Assert.False(StandardWebhookVerifier.Verify(subscription.Secret, last with { Id = Guid.NewGuid().ToString() }));
        Assert.False(StandardWebhookVerifier.Verify(subscription.Secret, last with { ReceivedAt = last.ReceivedAt.AddMinutes(5).AddSeconds(1) }));
        Assert.All(received, r => Assert.Equal("application/json", r.ContentType));
        Assert.All(received, r => Assert.Equal("/hooks/referral-network?channel=test", r.PathAndQuery));
        // Issue 17: every event of a referral carries the reference people say.
        var expected = $$$"""{"type":"referral.submitted","timestamp":"{{{referral["createdAt"]}}}","data":{"referralId":"{{{referral["id"]}}}","status":"requested","reference":"{{{referral["reference"]}}}"}}""";
        Assert.All(received, r => Assert.Equal(expected, r.BodyText));

        var delivery = Assert.Single(await _api.DeliveriesAsync(partner, subscription.Id))!;
        Assert.Equal(received[0].Id, delivery["id"]!.GetValue<string>());
        Assert.Equal("delivered", delivery["state"]!.GetValue<string>());
        Assert.Equal(4, delivery["attemptCount"]!.GetValue<int>());
        Assert.Equal(200, delivery["lastStatusCode"]!.GetValue<int>());
        Assert.Null(delivery["nextAttemptAt"]);
        var attempts = delivery["attempts"]!.AsArray();
        Assert.Equal([1, 2, 3, 4], attempts.Select(a => a!["attempt"]!.GetValue<int>()));
        Assert.Equal([500, 500, 500, 200], attempts.Select(a => a!["statusCode"]!.GetValue<int>()));
        // A coarse class only (the status code is beside it), never the receiver's reason phrase or a socket message.
        Assert.All(attempts.Take(3), a => Assert.Equal("http_status", a!["error"]!.GetValue<string>()));
        Assert.Null(attempts[3]!["error"]);
        Assert.All(attempts, a => Assert.True(a!["durationMs"]!.GetValue<int>() >= 0));
        for (var i = 0; i < 3; i++)
        {
            var waited = attempts[i]!["nextAttemptAt"]!.GetValue<DateTimeOffset>() - attempts[i]!["attemptedAt"]!.GetValue<DateTimeOffset>();
            var planned = WebhookRetrySchedule.Delays[i];
            Assert.InRange(waited, planned * 0.9 - TimeSpan.FromMilliseconds(1), planned * 1.1 + TimeSpan.FromMilliseconds(1));
        }
        Assert.Equal(4, await _api.CountAsync("SELECT COUNT(*) FROM webhook_attempts WHERE delivery_id = @Id", new { Id = Guid.Parse(received[0].Id!) }));
    }

    [Fact]
    public async Task Two_dispatchers_running_at_once_send_each_delivery_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync(fixture.Time);
        receiver.Answer = _ => new ReceiverAnswer(200, Delay: TimeSpan.FromMilliseconds(30));
        var referrer = await _api.Network.OrganisationAsync();
        var ngo = await _api.Network.OrganisationAsync();
        var admin = await _api.ClientWithRoleAsync(ngo.Id, "org_admin");
        var subscription = await _api.SubscribeAsync(admin, receiver.Url);
        for (var i = 0; i < 8; i++) await _api.Network.SubmitAsync(referrer, ngo);

        await Task.WhenAll(_api.DispatchAsync(), _api.DispatchAsync());
        await Task.WhenAll(_api.DispatchAsync(), _api.DispatchAsync());

        var received = receiver.Received;
        Assert.Equal(8, received.Count);
        Assert.Equal(8, received.Select(r => r.Id).Distinct().Count());
        Assert.All(received, r => Assert.Equal(1, r.AttemptForId));
        Assert.Equal(8, await _api.CountAsync(
            "SELECT COUNT(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.subscription_id = @Id", new { subscription.Id }));
        Assert.All(await _api.DeliveriesAsync(admin, subscription.Id), d => Assert.Equal("delivered", d!["state"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Gone_410_disables_the_subscription_and_nothing_more_is_sent()
    {
        await using var receiver = await WebhookReceiver.StartAsync(fixture.Time);
        receiver.Answer = _ => new ReceiverAnswer(410);
        var referrer = await _api.Network.OrganisationAsync();
        var ngo = await _api.Network.OrganisationAsync();
        var partner = await _api.ClientWithRoleAsync(ngo.Id, "partner_system");
        var subscription = await _api.SubscribeAsync(partner, receiver.Url);

        await _api.Network.SubmitAsync(referrer, ngo);
        await _api.DispatchAsync();
        Assert.Single(receiver.Received);

        var webhook = await partner.GetFromJsonAsync<JsonObject>($"/api/v1/webhooks/{subscription.Id}");
        Assert.False(webhook!["active"]!.GetValue<bool>());
        Assert.Equal("gone", webhook["disabledReason"]!.GetValue<string>());
        var delivery = Assert.Single(await _api.DeliveriesAsync(partner, subscription.Id))!;
        Assert.Equal("failed", delivery["state"]!.GetValue<string>());
        Assert.Equal(410, delivery["attempts"]![0]!["statusCode"]!.GetValue<int>());
        Assert.Null(delivery["nextAttemptAt"]);

        await _api.Network.SubmitAsync(referrer, ngo);
        fixture.Time.Advance(TimeSpan.FromDays(4));
        await _api.DispatchAsync();
        Assert.Single(receiver.Received);
        Assert.Single(await _api.DeliveriesAsync(partner, subscription.Id));
        Assert.Equal(1, await _api.CountAsync("SELECT COUNT(*) FROM audit_events WHERE stream_id = @Stream AND type = 'webhook.disabled'",
            new { Stream = $"organisation/{ngo.Id}" }));
        var redeliver = await partner.PostAsync($"/api/v1/webhooks/{subscription.Id}/deliveries/{delivery["id"]}/redeliver", null);
        Assert.Equal(HttpStatusCode.Conflict, redeliver.StatusCode);
    }

    [Fact]
    public async Task Organisation_not_party_to_the_referral_gets_nothing_and_the_filter_is_honoured()
    {
        await using var partyReceiver = await WebhookReceiver.StartAsync(fixture.Time);
        await using var outsiderReceiver = await WebhookReceiver.StartAsync(fixture.Time);
        await using var filteredReceiver = await WebhookReceiver.StartAsync(fixture.Time);
        var referrer = await _api.Network.OrganisationAsync();
        var ngo = await _api.Network.OrganisationAsync();
        var outsider = await _api.Network.OrganisationAsync();
        var referrerAdmin = await _api.ClientWithRoleAsync(referrer.Id, "org_admin");
        var outsiderAdmin = await _api.ClientWithRoleAsync(outsider.Id, "org_admin");
        var ngoPartner = await _api.ClientWithRoleAsync(ngo.Id, "partner_system");
        await _api.SubscribeAsync(referrerAdmin, partyReceiver.Url);
        var outsiderSubscription = await _api.SubscribeAsync(outsiderAdmin, outsiderReceiver.Url);
        var filtered = await _api.SubscribeAsync(ngoPartner, filteredReceiver.Url, "referral.accepted", "referral.completed");

        var referral = await _api.Network.SubmitAsync(referrer, ngo);
        await _api.DispatchAsync();

        var received = Assert.Single(partyReceiver.Received);
        Assert.Contains(referral["id"]!.GetValue<string>(), received.BodyText);
        Assert.Empty(outsiderReceiver.Received);
        Assert.Empty(filteredReceiver.Received);
        Assert.Empty(await _api.DeliveriesAsync(outsiderAdmin, outsiderSubscription.Id));
        Assert.Empty(await _api.DeliveriesAsync(ngoPartner, filtered.Id));
        Assert.Equal(0, await _api.CountAsync("SELECT COUNT(*) FROM outbox_messages WHERE fanned_out_at IS NULL"));
    }

    [Fact]
    public async Task Deadline_escalation_addressed_to_an_organisation_reaches_its_subscription()
    {
        await using var receiver = await WebhookReceiver.StartAsync(fixture.Time);
        var coordinator = await _api.Network.OrganisationAsync("network_coordinator");
        var admin = await _api.ClientWithRoleAsync(coordinator.Id, "org_admin");
        var subscription = await _api.SubscribeAsync(admin, receiver.Url, "referral.deadline_missed");
        var referrer = await _api.Network.OrganisationAsync();
        var ngo = await _api.Network.OrganisationAsync();
        var referral = await _api.Network.SubmitAsync(referrer, ngo);
        var referralId = referral["id"]!.GetValue<Guid>();
        // As the deadline monitor writes it: referrer, receiver and the escalation target.
        await _api.ExecuteAsync("""
            INSERT INTO outbox_messages (id, event_type, referral_id, status, organisation_ids, occurred_at)
            VALUES (@Id, 'referral.deadline_missed', @ReferralId, 'requested', @Organisations, @At)
            """, new { Id = Guid.CreateVersion7(), ReferralId = referralId, Organisations = $"{referrer.Id},{ngo.Id},{coordinator.Id}", At = fixture.Time.GetUtcNow() });

        await _api.DispatchAsync();

        var received = Assert.Single(receiver.Received);
        Assert.True(StandardWebhookVerifier.Verify(subscription.Secret, received));
        var body = JsonNode.Parse(received.BodyText)!;
        Assert.Equal("referral.deadline_missed", body["type"]!.GetValue<string>());
        Assert.Equal(referralId, body["data"]!["referralId"]!.GetValue<Guid>());
        Assert.Equal("requested", body["data"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Redelivery_sends_again_with_the_same_webhook_id_and_numbers_the_attempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync(fixture.Time);
        var referrer = await _api.Network.OrganisationAsync();
        var ngo = await _api.Network.OrganisationAsync();
        var partner = await _api.ClientWithRoleAsync(ngo.Id, "partner_system");
        var subscription = await _api.SubscribeAsync(partner, receiver.Url);
        await _api.Network.SubmitAsync(referrer, ngo);
        await _api.DispatchAsync();
        var first = Assert.Single(receiver.Received);

        var response = await partner.PostAsync($"/api/v1/webhooks/{subscription.Id}/deliveries/{first.Id}/redeliver", null);
        await TestNetwork.Expect(response, HttpStatusCode.Accepted);
        Assert.Equal("pending", (await response.Content.ReadFromJsonAsync<JsonObject>())!["state"]!.GetValue<string>());
        await _api.DispatchAsync();

        Assert.Equal(2, receiver.Received.Count);
        Assert.Equal(first.Id, receiver.Received[1].Id);
        Assert.Equal(first.BodyText, receiver.Received[1].BodyText);
        Assert.True(StandardWebhookVerifier.Verify(subscription.Secret, receiver.Received[1]));
        var delivery = Assert.Single(await _api.DeliveriesAsync(partner, subscription.Id))!;
        Assert.Equal("delivered", delivery["state"]!.GetValue<string>());
        Assert.Equal([1, 2], delivery["attempts"]!.AsArray().Select(a => a!["attempt"]!.GetValue<int>()));

        var unknown = await partner.PostAsync($"/api/v1/webhooks/{subscription.Id}/deliveries/{Guid.NewGuid()}/redeliver", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Retry_after_longer_than_the_schedule_is_honoured()
    {
        await using var receiver = await WebhookReceiver.StartAsync(fixture.Time);
        receiver.Answer = r => r.AttemptForId == 1 ? new ReceiverAnswer(503, RetryAfter: "120") : new ReceiverAnswer(200);
        var referrer = await _api.Network.OrganisationAsync();
        var ngo = await _api.Network.OrganisationAsync();
        var partner = await _api.ClientWithRoleAsync(ngo.Id, "partner_system");
        var subscription = await _api.SubscribeAsync(partner, receiver.Url);
        await _api.Network.SubmitAsync(referrer, ngo);
        await _api.DispatchAsync();

        fixture.Time.Advance(TimeSpan.FromSeconds(60)); // past the 5 s step, not past Retry-After
        await _api.DispatchAsync();
        Assert.Single(receiver.Received);
        fixture.Time.Advance(TimeSpan.FromSeconds(61));
        await _api.DispatchAsync();
        Assert.Equal(2, receiver.Received.Count);
        var attempts = Assert.Single(await _api.DeliveriesAsync(partner, subscription.Id))!["attempts"]!.AsArray();
        Assert.Equal(TimeSpan.FromSeconds(120),
            attempts[0]!["nextAttemptAt"]!.GetValue<DateTimeOffset>() - attempts[0]!["attemptedAt"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task Deleting_a_subscription_cancels_its_waiting_deliveries()
    {
        await using var receiver = await WebhookReceiver.StartAsync(fixture.Time);
        receiver.Answer = _ => new ReceiverAnswer(500);
        var referrer = await _api.Network.OrganisationAsync();
        var ngo = await _api.Network.OrganisationAsync();
        var partner = await _api.ClientWithRoleAsync(ngo.Id, "partner_system");
        var subscription = await _api.SubscribeAsync(partner, receiver.Url);
        await _api.Network.SubmitAsync(referrer, ngo);
        await _api.DispatchAsync();
        Assert.Single(receiver.Received);

        Assert.Equal(HttpStatusCode.NoContent, (await partner.DeleteAsync($"/api/v1/webhooks/{subscription.Id}")).StatusCode);
        fixture.Time.Advance(TimeSpan.FromDays(4));
        await _api.DispatchAsync();

        Assert.Single(receiver.Received);
        Assert.Equal(1, await _api.CountAsync("SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = @Id AND state = 'cancelled'", new { subscription.Id }));
    }
}

public sealed class WebhookDeliveryTests_Sqlite(SqliteWebhookFixture fixture) : WebhookDeliveryTests(fixture), IClassFixture<SqliteWebhookFixture>;

[Trait("Database", "Postgres")]
public sealed class WebhookDeliveryTests_Postgres(PostgresWebhookFixture fixture) : WebhookDeliveryTests(fixture), IClassFixture<PostgresWebhookFixture>;
