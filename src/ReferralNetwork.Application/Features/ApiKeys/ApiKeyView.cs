namespace ReferralNetwork.Application.Features.ApiKeys;

/// <summary>An API key as listed: never its secret, only the first characters to recognise it.</summary>
public sealed record ApiKeyView(Guid Id, Guid OrganisationId, string Name, IReadOnlyList<string> Roles, string Prefix,
    DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>The answer to a creation: the only time the secret is shown.</summary>
public sealed record CreatedApiKeyView(Guid Id, Guid OrganisationId, string Name, IReadOnlyList<string> Roles, string Prefix,
    DateTimeOffset CreatedAt, string Key);

internal sealed record ApiKeyRow
{
    public Guid Id { get; init; }
    public Guid OrganisationId { get; init; }
    public string Name { get; init; } = "";
    public string Roles { get; init; } = "";
    public string Prefix { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }

    public ApiKeyView ToView() => new(Id, OrganisationId, Name, Roles.Split(',', StringSplitOptions.RemoveEmptyEntries), Prefix, CreatedAt, RevokedAt);
}
