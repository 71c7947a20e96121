using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using ReferralNetwork.Application.Features.Webhooks;

namespace ReferralNetwork.Infrastructure.Webhooks;

/// <summary>What one attempt came to. <see cref="StatusCode"/> is null when no answer arrived.</summary>
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

/// <summary>Posts one signed attempt (Standard Webhooks headers) and reports the outcome; it never throws for the receiver's faults.</summary>
public sealed class WebhookSender(IHttpClientFactory clients, TimeProvider time)
{
    public const string HttpClientName = "webhooks";
    private const int MaxErrorLength = 500;

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
            var error = response.IsSuccessStatusCode ? null : Truncate($"HTTP {code} {response.ReasonPhrase}".TrimEnd());
            return new WebhookAttemptOutcome(code, error, RetryAfter(response.Headers.RetryAfter, now), Elapsed(started));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new WebhookAttemptOutcome(null, $"No answer within {client.Timeout.TotalSeconds:0} s.", null, Elapsed(started));
        }
        catch (HttpRequestException e)
        {
            return new WebhookAttemptOutcome(null, Truncate(Describe(e)), null, Elapsed(started));
        }
    }

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } when date > now => date - now,
        _ => null,
    };

    private static int Elapsed(long started) => (int)Math.Min(int.MaxValue, Stopwatch.GetElapsedTime(started).TotalMilliseconds);

    /// <summary>The chain of messages ("… : Connection refused"), which names the host but never the URL's query.</summary>
    private static string Describe(Exception e)
    {
        var messages = new List<string>();
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (!messages.Contains(inner.Message)) messages.Add(inner.Message);
        return string.Join(" → ", messages);
    }

    private static string Truncate(string text)
    {
        var clean = new string(text.Where(c => !char.IsControl(c)).ToArray());
        return clean.Length <= MaxErrorLength ? clean : clean[..(MaxErrorLength - 1)] + "…";
    }
}
