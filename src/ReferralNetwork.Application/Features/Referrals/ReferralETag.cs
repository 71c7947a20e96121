using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// A referral's ETag is its row version as a strong entity tag (<c>"3"</c>). Every action must name the version it
/// was decided on (If-Match), so two caseworkers acting on the same referral cannot silently overwrite each other.
/// </summary>
public static class ReferralETag
{
    public static string Of(int version) => $"\"{version}\"";

    /// <summary>Missing → 428; not an entity tag this API issued, or not the current one → 412.</summary>
    public static void Require(string? ifMatch, int currentVersion)
    {
        if (string.IsNullOrWhiteSpace(ifMatch))
            throw new PreconditionRequiredException("Send If-Match with the referral's ETag (from GET /api/v1/referrals/{id}), so an action is never taken on a state you have not seen.");
        // A list of tags is allowed (RFC 9110 §13.1.1); "*" and weak tags are not, because they would match any version.
        var versions = ifMatch.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(Parse).ToList();
        if (versions.Count == 0 || versions.Any(v => v is null))
            throw new PreconditionFailedException($"If-Match must carry the referral's ETag exactly as sent, e.g. {Of(1)}; '*' and weak tags are not accepted.");
        if (!versions.Contains(currentVersion))
            throw new PreconditionFailedException($"The referral has changed since that ETag; its ETag is now {Of(currentVersion)}. Read it again before acting.");
    }

    private static int? Parse(string tag) =>
        tag.Length > 2 && tag[0] == '"' && tag[^1] == '"' && int.TryParse(tag.AsSpan(1, tag.Length - 2), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var version) ? version : null;
}
