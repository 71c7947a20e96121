using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Features.Webhooks;

namespace ReferralNetwork.Infrastructure.Webhooks;

public static class WebhookServices
{
    /// <summary>Subscriptions' URL guard, the dispatcher and its HTTP client. The hosted loop is added by the Api's serve command.</summary>
    public static IServiceCollection AddReferralNetworkWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<WebhookOptions>(configuration.GetSection("Webhooks"));
        services.AddSingleton(sp => new WebhookAddressPolicy(sp.GetRequiredService<IOptionsMonitor<WebhookOptions>>()));
        services.AddSingleton<IWebhookUrlGuard>(sp => sp.GetRequiredService<WebhookAddressPolicy>());
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookFanOut>();
        // One set of delivery slots per process, shared by every dispatcher (pass) in it.
        services.AddSingleton<WebhookDeliverySlots>();
        // Scoped: each scope is one dispatcher with its own lease owner id.
        services.AddScoped<WebhookDispatcher>();
        services.AddHttpClient(WebhookSender.HttpClientName, (sp, client) =>
                client.Timeout = sp.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<WebhookAddressPolicy>().CreateHandler())
            // The default handlers log request URLs, and a subscriber's query string may hold its own token.
            .RemoveAllLoggers();
        return services;
    }
}
