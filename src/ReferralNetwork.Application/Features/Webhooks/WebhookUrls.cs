namespace ReferralNetwork.Application.Features.Webhooks;

/// <summary>
/// Where a webhook may be sent (OWASP API7, server-side request forgery). The address check needs DNS and the
/// deployment's <c>Webhooks:AllowPrivateNetworks</c> switch, so it sits behind <see cref="IWebhookUrlGuard"/>; the shape
/// of the URL is checked here.
/// </summary>
public static class WebhookUrls
{
    public const int MaxLength = 2048;

    /// <summary>Why <paramref name="url"/> cannot be a webhook endpoint, or null when its form is acceptable.</summary>
    public static string? FormProblem(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return "A URL is required.";
        if (url.Length > MaxLength) return $"The URL may be at most {MaxLength} characters.";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return "The URL must be an absolute http or https URL.";
        if (uri.UserInfo.Length > 0) return "The URL must not contain a user name or password; authenticate the sender by the signature.";
        if (uri.Fragment.Length > 0) return "The URL must not contain a fragment (#…).";
        if (string.IsNullOrEmpty(uri.IdnHost)) return "The URL must name a host.";
        return null;
    }

    /// <summary>The URL without its query string, for logs: a partner may put a token there.</summary>
    public static string Redacted(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Path) : "(invalid url)";
}

/// <summary>Refuses webhook URLs whose host resolves to an address webhooks may not reach (loopback, private, link-local…).</summary>
public interface IWebhookUrlGuard
{
    /// <summary>Null when every address of the URL's host may be reached; otherwise the reason, for the caller.</summary>
    Task<string?> CheckAsync(Uri url, CancellationToken ct);
}
