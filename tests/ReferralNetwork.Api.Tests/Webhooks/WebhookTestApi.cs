using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Webhooks;
using ReferralNetwork.Infrastructure.Webhooks;

namespace ReferralNetwork.Api.Tests.Webhooks;

/// <summary>The API with <c>Webhooks:AllowPrivateNetworks</c> on, so that it may deliver to a receiver on 127.0.0.1.</summary>
public sealed class SqliteWebhookFixture : SqliteApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" };
}

public sealed class PostgresWebhookFixture : PostgresApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" };
}

public sealed record Subscription(Guid Id, string Secret);

/// <summary>Subscribing, dispatching and reading deliveries, as a partner and the hosted dispatcher would.</summary>
public sealed class WebhookTestApi(ApiFixture fixture)
{
    public TestNetwork Network { get; } = new(fixture);

    public async Task<HttpClient> ClientWithRoleAsync(Guid organisationId, string role) => fixture.Client(await Network.KeyAsync(organisationId, role));

    public async Task<Subscription> SubscribeAsync(HttpClient client, string url, params string[] events)
    {
        var response = await client.PostAsJsonAsync("/api/v1/webhooks", new { url, events, description = "case system" });
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return new Subscription(body["id"]!.GetValue<Guid>(), body["secret"]!.GetValue<string>());
    }

    /// <summary>
    /// A subscription row as <c>POST /webhooks</c> writes it (secret sealed under the master key), without the address
    /// check: what the database holds once a name that resolved publicly at subscription time points elsewhere.
    /// </summary>
    public async Task<Subscription> InsertSubscriptionAsync(Guid organisationId, string url)
    {
        var protector = fixture.Factory.Services.GetRequiredService<IPersonalDataProtector>();
        var id = Guid.CreateVersion7();
        var secret = WebhookSecrets.NewSecret();
        var key = protector.NewDataKey();
        await ExecuteAsync("""
            INSERT INTO webhook_subscriptions (id, organisation_id, url, events, description, secret_sealed, wrapped_key, master_key_id, active, created_at, created_by)
            VALUES (@Id, @Org, @Url, @Events, NULL, @Sealed, @Wrapped, @MasterKeyId, @Active, @Now, NULL)
            """, new
        {
            Id = id, Org = organisationId, Url = url, Events = WebhookEvents.Store(null), Sealed = protector.Seal(key.Key, secret, WebhookSecrets.SealingContext(id)),
            Wrapped = key.Wrapped, key.MasterKeyId, Active = true, Now = fixture.Time.GetUtcNow(),
        });
        return new Subscription(id, secret);
    }

    /// <summary>One pass of a dispatcher of its own scope, exactly as the hosted loop runs it.</summary>
    public async Task<WebhookDispatchResult> DispatchAsync()
    {
        await using var scope = fixture.Factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<WebhookDispatcher>().RunOnceAsync();
    }

    public async Task<JsonArray> DeliveriesAsync(HttpClient client, Guid subscriptionId)
    {
        var page = await client.GetFromJsonAsync<JsonObject>($"/api/v1/webhooks/{subscriptionId}/deliveries?limit=100");
        return page!["items"]!.AsArray();
    }

    public async Task<long> CountAsync(string sql, object? parameters = null)
    {
        await using var connection = await fixture.OpenAsync();
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    public async Task ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = await fixture.OpenAsync();
        await connection.ExecuteAsync(sql, parameters);
    }
}
