using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>
/// DESIGN §6: <c>hash = SHA-256(prevHash ‖ canonical JSON of the event)</c>, prevHash as 32 raw bytes (zeros for the
/// first event of a stream). The event JSON holds streamId, seq, occurredAt, actor, type and data — not the hashes.
/// </summary>
public static class AuditChain
{
    public static readonly string Genesis = new('0', 64);

    public static string FormatTime(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static JsonObject EventJson(string streamId, long seq, DateTimeOffset occurredAt, Guid? principalId, Guid? organisationId, string role, string type, JsonNode? data) => new()
    {
        ["streamId"] = streamId,
        ["seq"] = seq,
        ["occurredAt"] = FormatTime(occurredAt),
        ["actor"] = new JsonObject
        {
            ["principalId"] = principalId?.ToString("D"),
            ["organisationId"] = organisationId?.ToString("D"),
            ["role"] = role,
        },
        ["type"] = type,
        ["data"] = data,
    };

    public static string Hash(string prevHash, JsonObject eventJson)
    {
        var prev = Convert.FromHexString(prevHash);
        var body = CanonicalJson.Bytes(eventJson);
        var buffer = new byte[prev.Length + body.Length];
        prev.CopyTo(buffer, 0);
        body.CopyTo(buffer, prev.Length);
        return Convert.ToHexStringLower(SHA256.HashData(buffer));
    }

    /// <summary>Recomputes a stored event's hash from its columns.</summary>
    public static string Recompute(AuditEventRow e) =>
        Hash(e.PrevHash, EventJson(e.StreamId, e.Seq, e.OccurredAt, e.PrincipalId, e.OrganisationId, e.Role, e.Type, JsonNode.Parse(e.Data)));
}
