using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>The public half of the checkpoint signing key, to verify checkpoints and exports offline.</summary>
[AllowedRoles(Role.Auditor, Role.NetworkAdmin)]
public sealed record GetAuditPublicKeyQuery : IQuery<CheckpointPublicKeyView>;

public sealed class GetAuditPublicKeyHandler(ICheckpointPublicKey key) : IQueryHandler<GetAuditPublicKeyQuery, CheckpointPublicKeyView>
{
    public ValueTask<CheckpointPublicKeyView> Handle(GetAuditPublicKeyQuery query, CancellationToken ct) => ValueTask.FromResult(key.PublicKey);
}
