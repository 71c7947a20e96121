using ReferralNetwork.Domain.People;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>What a consent covers as a client sends it: service codes and receiving organisations; empty or absent = any.</summary>
public sealed record ConsentScopeInput(IReadOnlyList<string>? Services = null, IReadOnlyList<Guid>? Organisations = null);

/// <summary>
/// A consent record. <see cref="WithdrawalReason"/> is free text and so sealed with the person's data key: null after
/// erasure (or when the withdrawal was recorded after it).
/// </summary>
public sealed record ConsentView(
    Guid Id, Guid PersonId, string GivenBy, string Method, DateTimeOffset GivenAt, Guid ObtainedByOrganisationId, Guid ObtainedByPrincipalId,
    ConsentScope Scope, bool Withdrawn, DateTimeOffset? WithdrawnAt, Guid? WithdrawnByOrganisationId, string? WithdrawalReason, DateTimeOffset CreatedAt)
{
    /// <summary>The consent form's scan, an attachment of one of the person's referrals (issue 17); null when none was named.</summary>
    public Guid? ScanAttachmentId { get; init; }
}

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
    public Guid? ScanAttachmentId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }

    public const string Columns = """
        c.id, c.person_id AS PersonId, c.given_by AS GivenBy, c.method, c.given_at AS GivenAt, c.obtained_by_principal_id AS ObtainedByPrincipalId,
        c.obtained_by_organisation_id AS ObtainedByOrganisationId, c.scope_services AS ScopeServices, c.scope_organisations AS ScopeOrganisations,
        c.withdrawn_at AS WithdrawnAt, c.withdrawn_by_organisation_id AS WithdrawnByOrganisationId,
        c.withdrawal_reason_sealed AS WithdrawalReasonSealed, c.scan_attachment_id AS ScanAttachmentId, c.created_at AS CreatedAt
        """;

    public ConsentScope Scope => new(
        ScopeServices.Split(',', StringSplitOptions.RemoveEmptyEntries),
        ScopeOrganisations.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse).ToList());

    public static string WithdrawalContext(Guid consentId) => $"consent:{consentId}:withdrawal";

    public ConsentView ToView(string? withdrawalReason) => new(Id, PersonId, GivenBy, Method, GivenAt, ObtainedByOrganisationId, ObtainedByPrincipalId,
        Scope, WithdrawnAt is not null, WithdrawnAt, WithdrawnByOrganisationId, withdrawalReason, CreatedAt) { ScanAttachmentId = ScanAttachmentId };
}
