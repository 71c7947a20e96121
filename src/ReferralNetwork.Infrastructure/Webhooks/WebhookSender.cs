using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ReferralNetwork.Application.Features.Webhooks;

namespace ReferralNetwork.Infrastructure.Webhooks;

/// <summary>
/// What one attempt came to. <see cref="StatusCode"/> is null when no answer arrived. <see cref="Error"/> is one of the
/// coarse classes of <see cref="WebhookErrors"/>, never the underlying message: "connection refused (10.0.0.7:5432)"
/// would turn the deliveries list into a port scanner of whatever the subscriber's host name points at.
/// </summary>
public sealed record WebhookAttemptOutcome(int? StatusCode, string? Error, TimeSpan? RetryAfter, int DurationMs)
{
    public bool Delivered => StatusCode is >= 200 and < 300;
    public bool Gone => StatusCode == 410;
}

/// <summary>The event as it goes over the wire: the same bytes on every attempt.</summary>
public sealed record WebhookMessage(Guid DeliveryId, string EventType, DateTimeOffset OccurredAt, Guid? ReferralId, string? ReferralStatus, string? Data = null)
{
    /// <summary>
    /// The thin payload <c>{"type","timestamp","data":{"referralId","status",…}}</c>: ids and codes only, never personal
    /// data. Receivers fetch the referral with their own key. <see cref="Data"/> (a JSON object the writer stored with the
    /// outbox row) adds event-specific codes, e.g. for <c>referral.deadline_missed</c> the deadline, its holder and the lateness.
    /// </summary>
    public byte[] Body()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", EventType);
            json.WriteString("timestamp", OccurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            json.WriteStartObject("data");
            if (ReferralId is { } id) json.WriteString("referralId", id.ToString("D"));
            else json.WriteNull("referralId");
            if (ReferralStatus is { } status) json.WriteString("status", status);
            else json.WriteNull("status");
            if (Data is { Length: > 0 } extra)
            {
                using var document = JsonDocument.Parse(extra);
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (property.NameEquals("referralId") || property.NameEquals("status")) continue;
                    property.WriteTo(json);
                }
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The <c>webhook-id</c>: the delivery's id, stable across retries and redeliveries.</summary>
    public string WebhookId => DeliveryId.ToString("D");
}

/// <summary>What a subscriber is told about a failed attempt (<c>error</c> of an attempt in the deliveries list).</summary>
public static class WebhookErrors
{
    /// <summary>No connection: refused, reset, unreachable, the name did not resolve, or the address is not allowed.</summary>
    public const string ConnectionFailed = "connection_failed";

    /// <summary>No answer within <c>Webhooks:Timeout</c>.</summary>
    public const string Timeout = "timeout";

    /// <summary>The TLS handshake failed (certificate, protocol).</summary>
    public const string Tls = "tls";

    /// <summary>An answer other than 2xx; its code is in <c>statusCode</c>.</summary>
    public const string HttpStatus = "http_status";
}

/// <summary>
/// Posts one signed attempt (Standard Webhooks headers) and reports the outcome; it never throws for the receiver's
/// faults. The subscriber sees only a coarse error class; the details go to the operator's log.
/// </summary>
public sealed class WebhookSender(IHttpClientFactory clients, TimeProvider time, ILogger<WebhookSender> logger)
{
    public const string HttpClientName = "webhooks";

    public async Task<WebhookAttemptOutcome> SendAsync(string url, string secret, WebhookMessage message, CancellationToken ct)
    {
        var body = message.Body();
        var now = time.GetUtcNow();
        var timestamp = now.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("webhook-id", message.WebhookId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSecrets.Sign(secret, message.WebhookId, timestamp, body));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("ReferralNetwork-Webhooks", "1"));

        var client = clients.CreateClient(HttpClientName);
        var started = Stopwatch.GetTimestamp();
        try
        {
            // Headers only: the receiver's body is not read, so a large or endless answer costs nothing.
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var code = (int)response.StatusCode;
            var error = response.IsSuccessStatusCode ? null : WebhookErrors.HttpStatus;
            return new WebhookAttemptOutcome(code, error, RetryAfter(response.Headers.RetryAfter, now), Elapsed(started));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new WebhookAttemptOutcome(null, WebhookErrors.Timeout, null, Elapsed(started));
        }
        catch (HttpRequestException e)
        {
            var error = IsTls(e) ? WebhookErrors.Tls : WebhookErrors.ConnectionFailed;
            logger.LogInformation("Webhook delivery {DeliveryId} to {Url}: {Error} ({Detail})", message.DeliveryId, WebhookUrls.Redacted(url), error, Describe(e));
            return new WebhookAttemptOutcome(null, error, null, Elapsed(started));
        }
    }

    private static bool IsTls(HttpRequestException e)
    {
        if (e.HttpRequestError == HttpRequestError.SecureConnectionError) return true;
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is System.Security.Authentication.AuthenticationException) return true;
        return false;
    }

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } when date > now => date - now,
        _ => null,
    };

    private static int Elapsed(long started) => (int)Math.Min(int.MaxValue, Stopwatch.GetElapsedTime(started).TotalMilliseconds);

    /// <summary>For the operator's log: the chain of messages ("… : Connection refused"), which names the host but never the URL's query.</summary>
    private static string Describe(Exception e)
    {
        var messages = new List<string>();
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (!messages.Contains(inner.Message)) messages.Add(inner.Message);
        var text = new string(string.Join(" → ", messages).Where(c => !char.IsControl(c)).ToArray());
        return text.Length <= 500 ? text : text[..499] + "…";
    }
}
