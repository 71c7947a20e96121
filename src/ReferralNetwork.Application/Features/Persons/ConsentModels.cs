namespace ReferralNetwork.Application.Features.Persons;

/// <summary>What a consent covers as a client sends it: service codes and receiving organisations; empty or absent = any.</summary>
public sealed record ConsentScopeInput(IReadOnlyList<string>? Services = null, IReadOnlyList<Guid>? Organisations = null);

/// <summary>What a consent covers. An empty list places no limit on that dimension.</summary>
public sealed record ConsentScope(IReadOnlyList<string> Services, IReadOnlyList<Guid> Organisations)
{
    public bool CoversServices(IEnumerable<string> services) => Services.Count == 0 || services.All(Services.Contains);

    public bool CoversOrganisation(Guid receiver) => Organisations.Count == 0 || Organisations.Contains(receiver);

    /// <summary>Every service of the referral and its receiver are within the scope.</summary>
    public bool Covers(IReadOnlyCollection<string> services, Guid receiver) => CoversServices(services) && CoversOrganisation(receiver);

    /// <summary>Some part of the referral falls within the scope: what a withdrawal of this consent forbids.</summary>
    public bool Touches(IReadOnlyCollection<string> services, Guid receiver) =>
        (Services.Count == 0 || services.Any(Services.Contains)) && CoversOrganisation(receiver);
}

/// <summary>
/// A consent record. <see cref="WithdrawalReason"/> is free text and so sealed with the person's data key: null after
/// erasure (or when the withdrawal was recorded after it).
/// </summary>
public sealed record ConsentView(
    Guid Id, Guid PersonId, string GivenBy, string Method, DateTimeOffset GivenAt, Guid ObtainedByOrganisationId, Guid ObtainedByPrincipalId,
    ConsentScope Scope, bool Withdrawn, DateTimeOffset? WithdrawnAt, Guid? WithdrawnByOrganisationId, string? WithdrawalReason, DateTimeOffset CreatedAt);

public sealed record ConsentList(IReadOnlyList<ConsentView> Items);

public sealed record ConsentRow
{
    public Guid Id { get; init; }
    public Guid PersonId { get; init; }
    public string GivenBy { get; init; } = "";
    public string Method { get; init; } = "";
    public DateTimeOffset GivenAt { get; init; }
    public Guid ObtainedByPrincipalId { get; init; }
    public Guid ObtainedByOrganisationId { get; init; }
    public string ScopeServices { get; init; } = "";
    public string ScopeOrganisations { get; init; } = "";
    public DateTimeOffset? WithdrawnAt { get; init; }
    public Guid? WithdrawnByOrganisationId { get; init; }
    public byte[]? WithdrawalReasonSealed { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    public const string Columns = """
        c.id, c.person_id AS PersonId, c.given_by AS GivenBy, c.method, c.given_at AS GivenAt, c.obtained_by_principal_id AS ObtainedByPrincipalId,
        c.obtained_by_organisation_id AS ObtainedByOrganisationId, c.scope_services AS ScopeServices, c.scope_organisations AS ScopeOrganisations,
        c.withdrawn_at AS WithdrawnAt, c.withdrawn_by_organisation_id AS WithdrawnByOrganisationId,
        c.withdrawal_reason_sealed AS WithdrawalReasonSealed, c.created_at AS CreatedAt
        """;

    public ConsentScope Scope => new(
        ScopeServices.Split(',', StringSplitOptions.RemoveEmptyEntries),
        ScopeOrganisations.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse).ToList());

    public static string WithdrawalContext(Guid consentId) => $"consent:{consentId}:withdrawal";

    public ConsentView ToView(string? withdrawalReason) => new(Id, PersonId, GivenBy, Method, GivenAt, ObtainedByOrganisationId, ObtainedByPrincipalId,
        Scope, WithdrawnAt is not null, WithdrawnAt, WithdrawnByOrganisationId, withdrawalReason, CreatedAt);
}
