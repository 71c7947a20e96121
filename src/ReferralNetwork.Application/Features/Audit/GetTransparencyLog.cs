using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>
/// The transparency log's identity (origin, verifier key) and state. Hashes and sizes only, so every role may read it:
/// partners who keep receipts check them against it as much as auditors do.
/// </summary>
[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem, Role.Auditor)]
public sealed record GetTransparencyLogQuery : IQuery<TransparencyLogView>;

public sealed class GetTransparencyLogHandler(ITransparencyLog log) : IQueryHandler<GetTransparencyLogQuery, TransparencyLogView>
{
    public async ValueTask<TransparencyLogView> Handle(GetTransparencyLogQuery query, CancellationToken ct) => await log.DescribeAsync(ct);
}
