using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Infrastructure.Webhooks;

namespace ReferralNetwork.Api.Tests.Webhooks;

/// <summary>
/// The SSRF guard as deployed (no Webhooks:AllowPrivateNetworks): what a subscription may not point at. No test here, or
/// anywhere, opens a connection to a non-loopback address: the refused addresses are refused before any connection.
/// </summary>
public abstract class WebhookAddressGuardTests(ApiFixture fixture)
{
    private readonly WebhookTestApi _api = new(fixture);

    [Theory]
    [InlineData("ftp://x/hook")]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("http://localhost:8080/hook")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://172.16.5.4/hook")]
    [InlineData("http://192.168.1.10/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://100.64.0.1/hook")]
    [InlineData("http://0.0.0.0/hook")]
    [InlineData("http://224.0.0.1/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://[fd12:3456::1]/hook")]
    [InlineData("http://[fe80::1]/hook")]
    [InlineData("http://[::ffff:10.0.0.1]/hook")]
    [InlineData("http://[::127.0.0.1]/hook")]
    [InlineData("http://[::ffff:0:127.0.0.1]/hook")]
    [InlineData("http://[64:ff9b:1::7f00:1]/hook")]
    [InlineData("http://[2002:7f00:1::]/hook")]
    [InlineData("http://[2001:db8::1]/hook")]
    [InlineData("http://192.0.0.1/hook")]
    [InlineData("http://198.18.0.1/hook")]
    [InlineData("http://192.0.2.2:51443/hook")]
    [InlineData("http://198.51.100.7/hook")]
    [InlineData("http://203.0.113.10/hook")]
    [InlineData("http://user:pass@example.org/hook")]
    [InlineData("https://203.0.113.10/hook#fragment")]
    [InlineData("/relative/hook")]
    [InlineData("not a url")]
    [InlineData("")]
    public async Task Unacceptable_url_returns_400_with_errors_url_and_writes_nothing(string url)
    {
        var organisation = await _api.Network.OrganisationAsync();
        var admin = await _api.ClientWithRoleAsync(organisation.Id, "org_admin");
        var before = await fixture.RowCountsAsync();
        var subscriptions = await _api.CountAsync("SELECT COUNT(*) FROM webhook_subscriptions");

        var response = await admin.PostAsJsonAsync("/api/v1/webhooks", new { url, events = Array.Empty<string>() });

        await TestNetwork.Expect(response, HttpStatusCode.BadRequest);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.NotEmpty(problem["errors"]!["url"]!.AsArray());
        Assert.Equal(before, await fixture.RowCountsAsync());
        Assert.Equal(subscriptions, await _api.CountAsync("SELECT COUNT(*) FROM webhook_subscriptions"));
    }

    [Fact]
    public async Task Every_address_of_this_servers_own_interfaces_is_refused_when_subscribing()
    {
        var organisation = await _api.Network.OrganisationAsync();
        var admin = await _api.ClientWithRoleAsync(organisation.Id, "org_admin");
        // (Link-local IPv6 addresses need a zone to be named in a URL; they are refused as link-local anyway.)
        var own = WebhookAddressPolicy.InterfaceAddresses().Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal).ToList();
        Assert.NotEmpty(own);
        var before = await fixture.RowCountsAsync();
        foreach (var address in own)
        {
            var host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
            var response = await admin.PostAsJsonAsync("/api/v1/webhooks", new { url = $"http://{host}:8080/hook" });
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{address}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Host_that_later_resolves_to_loopback_is_refused_at_delivery_time()
    {
        await using var receiver = await WebhookReceiver.StartAsync(fixture.Time);
        var referrer = await _api.Network.OrganisationAsync();
        var ngo = await _api.Network.OrganisationAsync();
        var partner = await _api.ClientWithRoleAsync(ngo.Id, "partner_system");
        // DNS rebinding: the name was public when it was checked, and now points inside. Here the row, as the subscription
        // left it, points there directly.
        var subscription = await _api.InsertSubscriptionAsync(ngo.Id, receiver.Url);

        await _api.Network.SubmitAsync(referrer, ngo);
        await _api.DispatchAsync();

        Assert.Empty(receiver.Received);
        var delivery = Assert.Single(await _api.DeliveriesAsync(partner, subscription.Id))!;
        Assert.Equal("pending", delivery["state"]!.GetValue<string>());
        var attempt = Assert.Single(delivery["attempts"]!.AsArray())!;
        Assert.Null(attempt["statusCode"]);
        // Only the coarse class, never which address or why: the deliveries list is no scanner of the network inside.
        Assert.Equal("connection_failed", attempt["error"]!.GetValue<string>());
        await partner.DeleteAsync($"/api/v1/webhooks/{subscription.Id}");
    }

}

/// <summary>
/// Subscriptions themselves, on a deployment that allows loopback (Webhooks:AllowPrivateNetworks) so that a loopback URL
/// can be registered. The dispatcher never runs in these tests: nothing is ever sent to the registered URL.
/// </summary>
public abstract class WebhookSubscriptionTests(ApiFixture fixture)
{
    /// <summary>Nothing listens on the discard port, and nothing here sends to it.</summary>
    private const string LoopbackUrl = "http://127.0.0.1:9/hooks/referrals?token=partner-token";

    private readonly WebhookTestApi _api = new(fixture);

    [Fact]
    public async Task Unknown_event_returns_400_naming_the_element()
    {
        var organisation = await _api.Network.OrganisationAsync();
        var admin = await _api.ClientWithRoleAsync(organisation.Id, "org_admin");
        var response = await admin.PostAsJsonAsync("/api/v1/webhooks", new { url = LoopbackUrl, events = new[] { "referral.accepted", "referral.exploded" } });
        await TestNetwork.Expect(response, HttpStatusCode.BadRequest);
        Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["events[1]"]);
    }

    [Fact]
    public async Task Subscribing_returns_a_whsec_secret_once_and_stores_it_sealed_and_unaudited()
    {
        var organisation = await _api.Network.OrganisationAsync();
        var admin = await _api.ClientWithRoleAsync(organisation.Id, "org_admin");
        var response = await admin.PostAsJsonAsync("/api/v1/webhooks", new { url = LoopbackUrl, events = new[] { "referral.accepted", "referral.completed" }, description = "CMS" });
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        var created = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var id = created["id"]!.GetValue<Guid>();
        var secret = created["secret"]!.GetValue<string>();
        Assert.Equal($"/api/v1/webhooks/{id}", response.Headers.Location?.OriginalString);
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);
        Assert.Equal(LoopbackUrl, created["url"]!.GetValue<string>());
        Assert.Equal(["referral.accepted", "referral.completed"], created["events"]!.AsArray().Select(e => e!.GetValue<string>()));

        var listed = await admin.GetStringAsync("/api/v1/webhooks");
        var one = await admin.GetStringAsync($"/api/v1/webhooks/{id}");
        Assert.DoesNotContain(secret, listed);
        Assert.DoesNotContain("secret", listed, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secret", one, StringComparison.OrdinalIgnoreCase);

        await using var connection = await fixture.OpenAsync();
        var row = await connection.QuerySingleAsync<(byte[] Sealed, byte[] Wrapped)>(
            "SELECT secret_sealed, wrapped_key FROM webhook_subscriptions WHERE id = @Id", new { Id = id });
        Assert.False(row.Sealed.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(secret["whsec_".Length..])) >= 0);
        Assert.NotEmpty(row.Wrapped);
        var audit = (await connection.QueryAsync<string>("SELECT data FROM audit_events WHERE stream_id = @Stream AND type = 'webhook.subscribed'",
            new { Stream = $"organisation/{organisation.Id}" })).Single();
        Assert.Contains(id.ToString(), audit);
        Assert.DoesNotContain("partner-token", audit);
        Assert.DoesNotContain("127.0.0.1", audit);
        Assert.DoesNotContain(secret["whsec_".Length..], audit);
    }

    [Fact]
    public async Task Subscriptions_are_visible_and_deletable_only_by_their_own_organisation()
    {
        var a = await _api.Network.OrganisationAsync();
        var b = await _api.Network.OrganisationAsync();
        var adminA = await _api.ClientWithRoleAsync(a.Id, "org_admin");
        var partnerA = await _api.ClientWithRoleAsync(a.Id, "partner_system");
        var adminB = await _api.ClientWithRoleAsync(b.Id, "org_admin");
        var subscription = await _api.SubscribeAsync(partnerA, LoopbackUrl);
        await _api.SubscribeAsync(adminB, LoopbackUrl);

        var listA = (await adminA.GetFromJsonAsync<JsonObject>("/api/v1/webhooks"))!["items"]!.AsArray();
        Assert.Equal([subscription.Id], listA!.Select(w => w!["id"]!.GetValue<Guid>()));
        var listB = (await adminB.GetFromJsonAsync<JsonObject>("/api/v1/webhooks"))!["items"]!.AsArray();
        Assert.DoesNotContain(listB!, w => w!["id"]!.GetValue<Guid>() == subscription.Id);

        Assert.Equal(HttpStatusCode.NotFound, (await adminB.GetAsync($"/api/v1/webhooks/{subscription.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await adminB.GetAsync($"/api/v1/webhooks/{subscription.Id}/deliveries")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await adminB.PostAsync($"/api/v1/webhooks/{subscription.Id}/deliveries/{Guid.NewGuid()}/redeliver", null)).StatusCode);
        var before = await fixture.RowCountsAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await adminB.DeleteAsync($"/api/v1/webhooks/{subscription.Id}")).StatusCode);
        Assert.Equal(before, await fixture.RowCountsAsync());

        Assert.Equal(HttpStatusCode.NoContent, (await adminA.DeleteAsync($"/api/v1/webhooks/{subscription.Id}")).StatusCode);
        Assert.Empty((await adminA.GetFromJsonAsync<JsonObject>("/api/v1/webhooks"))!["items"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await adminA.GetAsync($"/api/v1/webhooks/{subscription.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await adminA.DeleteAsync($"/api/v1/webhooks/{subscription.Id}")).StatusCode);
        Assert.Equal(1, await _api.CountAsync("SELECT COUNT(*) FROM audit_events WHERE stream_id = @Stream AND type = 'webhook.deleted'",
            new { Stream = $"organisation/{a.Id}" }));
    }

    [Fact]
    public async Task Caseworker_gets_403_and_nothing_is_written()
    {
        var organisation = await _api.Network.OrganisationAsync();
        var admin = await _api.ClientWithRoleAsync(organisation.Id, "org_admin");
        var subscription = await _api.SubscribeAsync(admin, LoopbackUrl);
        var before = await fixture.RowCountsAsync();

        Assert.Equal(HttpStatusCode.Forbidden, (await organisation.Caseworker.PostAsJsonAsync("/api/v1/webhooks", new { url = LoopbackUrl })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await organisation.Caseworker.GetAsync("/api/v1/webhooks")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await organisation.Caseworker.DeleteAsync($"/api/v1/webhooks/{subscription.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await organisation.Caseworker.GetAsync($"/api/v1/webhooks/{subscription.Id}/deliveries")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Client().GetAsync("/api/v1/webhooks")).StatusCode);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Deliveries_page_by_cursor_and_reject_a_bad_one()
    {
        var organisation = await _api.Network.OrganisationAsync();
        var admin = await _api.ClientWithRoleAsync(organisation.Id, "org_admin");
        var subscription = await _api.SubscribeAsync(admin, LoopbackUrl);
        var empty = await admin.GetFromJsonAsync<JsonObject>($"/api/v1/webhooks/{subscription.Id}/deliveries");
        Assert.Empty(empty!["items"]!.AsArray());
        Assert.Null(empty["nextCursor"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync($"/api/v1/webhooks/{subscription.Id}/deliveries?cursor=bogus")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync($"/api/v1/webhooks/{subscription.Id}/deliveries?limit=101")).StatusCode);
    }
}

public sealed class WebhookAddressGuardTests_Sqlite(SqliteApiFixture fixture) : WebhookAddressGuardTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class WebhookAddressGuardTests_Postgres(PostgresApiFixture fixture) : WebhookAddressGuardTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class WebhookAddressGuardTests_SqlServer(SqlServerApiFixture fixture) : WebhookAddressGuardTests(fixture), IClassFixture<SqlServerApiFixture>;

public sealed class WebhookSubscriptionTests_Sqlite(SqliteWebhookFixture fixture) : WebhookSubscriptionTests(fixture), IClassFixture<SqliteWebhookFixture>;

[Trait("Database", "Postgres")]
public sealed class WebhookSubscriptionTests_Postgres(PostgresWebhookFixture fixture) : WebhookSubscriptionTests(fixture), IClassFixture<PostgresWebhookFixture>;
