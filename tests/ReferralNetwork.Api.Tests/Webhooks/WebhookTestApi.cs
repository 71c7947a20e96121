using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
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
