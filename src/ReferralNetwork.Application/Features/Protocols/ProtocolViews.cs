using ReferralNetwork.Domain.Protocols;

namespace ReferralNetwork.Application.Features.Protocols;

/// <summary>One published version of a protocol, exactly as referrals pinned to it are judged.</summary>
public sealed record ProtocolVersionView(string Code, int Version, string Title, DateTimeOffset PublishedAt, ProtocolDocument Document);

public sealed record ProtocolVersionSummary
{
    public int Version { get; init; }
    public string Title { get; init; } = "";
    public DateTimeOffset PublishedAt { get; init; }
}

/// <summary>A protocol: its latest version in full, and every version ever published (newest first).</summary>
public sealed record ProtocolView(string Code, int Version, string Title, DateTimeOffset PublishedAt, ProtocolDocument Document,
    IReadOnlyList<ProtocolVersionSummary> Versions);

/// <summary>A row of <c>protocols</c>.</summary>
internal sealed record ProtocolRow
{
    public string Code { get; init; } = "";
    public int Version { get; init; }
    public string Title { get; init; } = "";
    public string Document { get; init; } = "";
    public DateTimeOffset PublishedAt { get; init; }

    public const string Columns = "p.code, p.version, p.title, p.document, p.published_at AS PublishedAt";

    /// <summary>Protocol codes are slugs of at most 50 characters; anything else cannot name a protocol (and is not sent to the database).</summary>
    public static bool CouldBeCode(string? code) =>
        code is { Length: > 0 and <= 50 } && code.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

    public ProtocolVersionView ToView() => new(Code, Version, Title, PublishedAt, ProtocolStore.Parse(Document));
}
