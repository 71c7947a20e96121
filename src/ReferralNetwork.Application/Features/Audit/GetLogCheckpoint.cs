using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>The newest signed tree head (a C2SP tlog-checkpoint signed note with its witness cosignatures); 404 before the first.</summary>
[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem, Role.Auditor)]
public sealed record GetLogCheckpointQuery : IQuery<SignedTreeHeadView>;

public sealed class GetLogCheckpointHandler(ITransparencyLog log) : IQueryHandler<GetLogCheckpointQuery, SignedTreeHeadView>
{
    public async ValueTask<SignedTreeHeadView> Handle(GetLogCheckpointQuery query, CancellationToken ct) =>
        await log.NewestHeadAsync(ct) ?? throw new NotFoundException("A signed checkpoint of the audit log");
}
