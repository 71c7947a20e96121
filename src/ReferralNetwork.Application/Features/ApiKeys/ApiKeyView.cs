namespace ReferralNetwork.Application.Features.ApiKeys;

/// <summary>An API key as listed: never its secret, only the first characters to recognise it. A key with
/// <see cref="ExpiresAt"/> is refused (401) from that instant on.</summary>
public sealed record ApiKeyView(Guid Id, Guid OrganisationId, string Name, IReadOnlyList<string> Roles, string Prefix,
    DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, DateTimeOffset? ExpiresAt);

/// <summary>The answer to a creation: the only time the secret is shown.</summary>
public sealed record CreatedApiKeyView(Guid Id, Guid OrganisationId, string Name, IReadOnlyList<string> Roles, string Prefix,
    DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, string Key);

internal sealed record ApiKeyRow
{
    public Guid Id { get; init; }
    public Guid OrganisationId { get; init; }
    public string Name { get; init; } = "";
    public string Roles { get; init; } = "";
    public string Prefix { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }

    public ApiKeyView ToView() => new(Id, OrganisationId, Name, Roles.Split(',', StringSplitOptions.RemoveEmptyEntries), Prefix, CreatedAt, RevokedAt, ExpiresAt);
}
