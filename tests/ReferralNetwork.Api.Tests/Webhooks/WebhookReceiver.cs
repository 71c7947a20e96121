using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ReferralNetwork.Api.Tests.Webhooks;

/// <summary>One request as a partner's endpoint saw it.</summary>
public sealed record ReceivedWebhook(string? Id, string? Timestamp, string? Signature, string? ContentType, byte[] Body, string PathAndQuery,
    DateTimeOffset ReceivedAt, int AttemptForId)
{
    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>What the receiver answers to the n-th request carrying one webhook-id.</summary>
public sealed record ReceiverAnswer(int Status, string? RetryAfter = null, TimeSpan Delay = default);

/// <summary>
/// A partner's webhook endpoint: real Kestrel on 127.0.0.1 and a free port, recording every request. The answer is
/// chosen per request from the number of times its webhook-id has been seen, so "fail three times, then succeed" is
/// one line.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly ConcurrentDictionary<string, int> _countById = new();

    private WebhookReceiver(WebApplication app, TimeProvider time)
    {
        _app = app;
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var id = context.Request.Headers["webhook-id"].FirstOrDefault();
            var attempt = _countById.AddOrUpdate(id ?? "", 1, (_, n) => n + 1);
            var request = new ReceivedWebhook(id, context.Request.Headers["webhook-timestamp"].FirstOrDefault(),
                context.Request.Headers["webhook-signature"].FirstOrDefault(), context.Request.ContentType, body.ToArray(),
                context.Request.Path + context.Request.QueryString, time.GetUtcNow(), attempt);
            _received.Enqueue(request);
            var answer = Answer(request);
            if (answer.Delay > TimeSpan.Zero) await Task.Delay(answer.Delay);
            if (answer.RetryAfter is not null) context.Response.Headers.RetryAfter = answer.RetryAfter;
            context.Response.StatusCode = answer.Status;
        });
    }

    /// <summary>The answer to each request; by default 200.</summary>
    public Func<ReceivedWebhook, ReceiverAnswer> Answer { get; set; } = _ => new ReceiverAnswer(200);

    public IReadOnlyList<ReceivedWebhook> Received => _received.ToList();

    /// <summary>The endpoint to subscribe: with a path and a query string, as partners often register them.</summary>
    public string Url { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync(TimeProvider time)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new WebhookReceiver(builder.Build(), time);
        await receiver._app.StartAsync();
        receiver.Url = receiver._app.Urls.Single().TrimEnd('/') + "/hooks/referral-network?channel=test";
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
