using FluentValidation;
using FluentValidation.Results;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>
/// A referral's ETag is its row version as a strong entity tag (<c>"3"</c>). Every action must name the version it
/// was decided on (If-Match), so two caseworkers acting on the same referral cannot silently overwrite each other.
/// </summary>
public static class ReferralETag
{
    public static string Of(int version) => $"\"{version}\"";

    /// <summary>
    /// Missing → 428. Anything but exactly one strong entity tag this API issued → 400: a list (<c>"3", "4"</c>), which
    /// RFC 9110 §13.1.1 would allow, lets a client match whichever version is current and so defeat its own lost-update
    /// check; <c>*</c> and weak tags match any version. One tag that is not the current one → 412.
    /// </summary>
    public static void Require(string? ifMatch, int currentVersion)
    {
        if (string.IsNullOrWhiteSpace(ifMatch))
            throw new PreconditionRequiredException("Send If-Match with the referral's ETag (from GET /api/v1/referrals/{id}), so an action is never taken on a state you have not seen.");
        if (Parse(ifMatch.Trim()) is not { } version)
            throw new ValidationException([Features.Common.Failures.Of("If-Match",
                $"If-Match must carry exactly one ETag of the referral, exactly as sent, e.g. {Of(1)}; lists, '*' and weak tags are not accepted.")]);
        if (version != currentVersion)
            throw new PreconditionFailedException($"The referral has changed since that ETag; its ETag is now {Of(currentVersion)}. Read it again before acting.");
    }

    private static int? Parse(string tag) =>
        tag.Length > 2 && tag[0] == '"' && tag[^1] == '"' && int.TryParse(tag.AsSpan(1, tag.Length - 2), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var version) ? version : null;
}
