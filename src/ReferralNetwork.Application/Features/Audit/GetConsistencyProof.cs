using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>
/// RFC 9162 §2.1.4 consistency proof that the log's tree of <c>from</c> leaves is a prefix of its tree of <c>to</c> leaves
/// (to ≤ the newest signed size). From 0, or from = to, the proof is empty.
/// </summary>
[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin, Role.Caseworker, Role.Supervisor, Role.PartnerSystem, Role.Auditor)]
public sealed record GetConsistencyProofQuery(long? From, long? To) : IQuery<ConsistencyProofView>;

public sealed class GetConsistencyProofValidator : AbstractValidator<GetConsistencyProofQuery>
{
    public GetConsistencyProofValidator()
    {
        RuleFor(q => q.From).NotNull().GreaterThanOrEqualTo(0);
        RuleFor(q => q.To).NotNull().GreaterThanOrEqualTo(0);
        RuleFor(q => q.From).LessThanOrEqualTo(q => q.To!.Value).When(q => q.From is not null && q.To is not null).WithMessage("from must not be above to.");
    }
}

public sealed class GetConsistencyProofHandler(ITransparencyLog log) : IQueryHandler<GetConsistencyProofQuery, ConsistencyProofView>
{
    public async ValueTask<ConsistencyProofView> Handle(GetConsistencyProofQuery query, CancellationToken ct) =>
        await log.ConsistencyAsync(query.From!.Value, query.To!.Value, ct);
}
