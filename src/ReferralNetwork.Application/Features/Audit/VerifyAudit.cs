using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>
/// Re-checks every hash chain and every checkpoint against the database as it is now. The report names ids and
/// hashes only, so the network admin, who operates the system, may run it too.
/// </summary>
[AllowedRoles(Role.Auditor, Role.NetworkAdmin)]
public sealed record VerifyAuditQuery(bool EveryRoot = false) : IQuery<AuditVerificationView>;

public sealed class VerifyAuditHandler(IAuditVerifier verifier) : IQueryHandler<VerifyAuditQuery, AuditVerificationView>
{
    public async ValueTask<AuditVerificationView> Handle(VerifyAuditQuery query, CancellationToken ct) => await verifier.VerifyAsync(query.EveryRoot, ct);
}
