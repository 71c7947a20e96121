using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>RFC 9162 §2.1.3 inclusion proof of the leaf at <c>index</c> in the log's tree of <c>size</c> leaves (size ≤ the newest signed size).</summary>
[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem, Role.Auditor)]
public sealed record GetInclusionProofQuery(long? Index, long? Size) : IQuery<InclusionProofView>;

public sealed class GetInclusionProofValidator : AbstractValidator<GetInclusionProofQuery>
{
    public GetInclusionProofValidator()
    {
        RuleFor(q => q.Index).NotNull().GreaterThanOrEqualTo(0);
        RuleFor(q => q.Size).NotNull().GreaterThanOrEqualTo(1);
        RuleFor(q => q.Index).LessThan(q => q.Size!.Value).When(q => q.Index is not null && q.Size is not null).WithMessage("index must be below size.");
    }
}

public sealed class GetInclusionProofHandler(ITransparencyLog log) : IQueryHandler<GetInclusionProofQuery, InclusionProofView>
{
    public async ValueTask<InclusionProofView> Handle(GetInclusionProofQuery query, CancellationToken ct) =>
        await log.InclusionAsync(query.Index!.Value, query.Size!.Value, ct);
}
