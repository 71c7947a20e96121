using System.Collections.Concurrent;
using System.Text.Json;
using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Protocols;

namespace ReferralNetwork.Application.Features.Protocols;

public sealed record PinnedProtocol(string Code, int Version, ProtocolDocument Document);

/// <summary>Reads published protocol versions. A published version is immutable; referrals pin code + version.</summary>
public sealed class ProtocolStore(IDbSession session, PublishedProtocols published)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<PinnedProtocol?> LatestAsync(string code, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string Code, int Version, string Document)>(new CommandDefinition($"""
            SELECT code, version, document FROM protocols
            WHERE code = @Code AND version = (SELECT MAX(version) FROM protocols WHERE code = @Code)
            """, new { Code = code }, session.Transaction, cancellationToken: ct));
        return row.Code is null ? null : new PinnedProtocol(row.Code, row.Version, Parse(row.Document));
    }

    public async Task<PinnedProtocol?> VersionAsync(string code, int version, CancellationToken ct)
    {
        if (published.TryGet(code, version, out var known)) return known;
        var connection = await session.ConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string Code, int Version, string Document)>(new CommandDefinition(
            "SELECT code, version, document FROM protocols WHERE code = @Code AND version = @Version",
            new { Code = code, Version = version }, session.Transaction, cancellationToken: ct));
        return row.Code is null ? null : published.Remember(new PinnedProtocol(row.Code, row.Version, Parse(row.Document)));
    }

    /// <summary>The latest version of every protocol: specific ones (with an applicability rule) first, then by code.</summary>
    public async Task<IReadOnlyList<PinnedProtocol>> AllLatestAsync(CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Code, int Version, string Document)>(new CommandDefinition("""
            SELECT p.code, p.version, p.document FROM protocols p
            WHERE p.version = (SELECT MAX(v.version) FROM protocols v WHERE v.code = p.code)
            """, null, session.Transaction, cancellationToken: ct));
        return rows.Select(r => new PinnedProtocol(r.Code, r.Version, Parse(r.Document)))
            .OrderBy(p => p.Document.AppliesTo is null ? 1 : 0).ThenBy(p => p.Code, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Parsed documents by their exact text: every submission reads the latest protocols, and parsing them each time
    /// cost more than reading them. Keyed by the text itself, so nothing can go stale; the documents are immutable
    /// records. Bounded, in case of a pathological number of versions.
    /// </summary>
    private static readonly ConcurrentDictionary<string, ProtocolDocument> Parsed = new(StringComparer.Ordinal);

    public static ProtocolDocument Parse(string json) =>
        Parsed.TryGetValue(json, out var document) ? document
        : Parsed.Count < 256 ? Parsed.GetOrAdd(json, static text => JsonSerializer.Deserialize<ProtocolDocument>(text, Json)!)
        : JsonSerializer.Deserialize<ProtocolDocument>(json, Json)!;
}

/// <summary>
/// Published protocol versions, once read: a version is immutable (publishing makes a new one), so every action that
/// needs its pinned protocol's deadlines reads it from the database once per process. One per database (a singleton of
/// the host), bounded in case of a pathological number of versions.
/// </summary>
public sealed class PublishedProtocols
{
    private readonly ConcurrentDictionary<(string Code, int Version), PinnedProtocol> _versions = new();

    public bool TryGet(string code, int version, out PinnedProtocol protocol) => _versions.TryGetValue((code, version), out protocol!);

    public PinnedProtocol Remember(PinnedProtocol protocol)
    {
        if (_versions.Count < 1024) _versions.TryAdd((protocol.Code, protocol.Version), protocol);
        return protocol;
    }
}
