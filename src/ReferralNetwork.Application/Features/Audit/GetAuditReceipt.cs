using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>
/// The receipt of one audit event (by its globalSeq): its log index and, once a checkpoint covering it is cosigned, a
/// c2sp.org/tlog-proof a partner keeps to prove later that the server recorded that event at that position. Auditors
/// may fetch any event's receipt; every other role only those of events its own organisation acted in (else 404).
/// </summary>
[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem, Role.Auditor)]
public sealed record GetAuditReceiptQuery(long EventId) : IQuery<AuditReceiptView>;

public sealed class GetAuditReceiptHandler(ITransparencyLog log, ICurrentPrincipal current) : IQueryHandler<GetAuditReceiptQuery, AuditReceiptView>
{
    public async ValueTask<AuditReceiptView> Handle(GetAuditReceiptQuery query, CancellationToken ct)
    {
        var principal = current.Principal!;
        return await log.ReceiptAsync(query.EventId, principal.Has(Role.Auditor) ? null : principal.OrganisationId, ct);
    }
}
