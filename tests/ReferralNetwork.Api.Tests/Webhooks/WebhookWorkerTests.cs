using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Webhooks;

/// <summary>The API with its background workers on, as it runs in production (every other fixture turns them off).</summary>
public sealed class SqliteWorkerFixture : SqliteApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Workers:Enabled"] = "true", ["Webhooks:AllowPrivateNetworks"] = "true", ["Webhooks:DispatchInterval"] = "00:00:02",
    };
}

public sealed class PostgresWorkerFixture : PostgresApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Workers:Enabled"] = "true", ["Webhooks:AllowPrivateNetworks"] = "true", ["Webhooks:DispatchInterval"] = "00:00:02",
    };
}

public abstract class WebhookWorkerTests(ApiFixture fixture)
{
    [Fact]
    public async Task Hosted_dispatcher_delivers_on_its_interval_without_being_called()
    {
        var api = new WebhookTestApi(fixture);
        await using var receiver = await WebhookReceiver.StartAsync(fixture.Time);
        var referrer = await api.Network.OrganisationAsync();
        var ngo = await api.Network.OrganisationAsync();
        var subscription = await api.SubscribeAsync(await api.ClientWithRoleAsync(ngo.Id, "partner_system"), receiver.Url);
        await api.Network.SubmitAsync(referrer, ngo);

        // The loop's timer runs on the application's (fake) clock: each advance past the interval is one pass.
        for (var i = 0; i < 300 && receiver.Received.Count == 0; i++)
        {
            fixture.Time.Advance(TimeSpan.FromSeconds(2));
            await Task.Delay(100);
        }

        var received = Assert.Single(receiver.Received);
        Assert.True(StandardWebhookVerifier.Verify(subscription.Secret, received));
    }
}

public sealed class WebhookWorkerTests_Sqlite(SqliteWorkerFixture fixture) : WebhookWorkerTests(fixture), IClassFixture<SqliteWorkerFixture>;

[Trait("Database", "Postgres")]
public sealed class WebhookWorkerTests_Postgres(PostgresWorkerFixture fixture) : WebhookWorkerTests(fixture), IClassFixture<PostgresWorkerFixture>;
