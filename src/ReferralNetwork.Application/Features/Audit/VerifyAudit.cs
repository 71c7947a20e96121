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

public sealed class VerifyAuditHandler(IAuditVerifier verifier, ITransparencyLog log) : IQueryHandler<VerifyAuditQuery, AuditVerificationView>
{
    public async ValueTask<AuditVerificationView> Handle(VerifyAuditQuery query, CancellationToken ct)
    {
        var report = await verifier.VerifyAsync(query.EveryRoot, ct);
        // The transparency log (issue 19): its entries, signed heads, cosignatures, and what the witnesses hold now.
        var logReport = await log.VerifyAsync(ct);
        return report with { Ok = report.Ok && logReport.Ok, Log = logReport };
    }
}
