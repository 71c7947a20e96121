namespace ReferralNetwork.Domain.People;

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
