using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>
/// Re-checks every hash chain and every checkpoint against the database as it is now, and replays every referral's
/// events against the tables auditors read. The report names ids and hashes only, so the network admin, who operates
/// the system, may run it too. <see cref="Checkpoint"/> and <see cref="Root"/> (both or neither) name an anchor the
/// auditor copied earlier and kept outside the database: a database rolled back behind it fails.
/// </summary>
[AllowedRoles(Role.Auditor, Role.NetworkAdmin)]
public sealed record VerifyAuditQuery(bool EveryRoot = false, long? Checkpoint = null, string? Root = null) : IQuery<AuditVerificationView>;

public sealed class VerifyAuditValidator : AbstractValidator<VerifyAuditQuery>
{
    public VerifyAuditValidator()
    {
        RuleFor(q => q).Must(q => (q.Checkpoint is null) == (q.Root is null))
            .WithName("checkpoint").WithMessage("An anchor is checkpoint and root together: give both or neither.");
        RuleFor(q => q.Checkpoint).GreaterThanOrEqualTo(1).When(q => q.Checkpoint is not null)
            .WithMessage("checkpoint is a checkpoint's sequence, 1 or more.");
        RuleFor(q => q.Root).Matches("^[0-9a-fA-F]{64}$").When(q => q.Root is not null)
            .WithMessage("root is a checkpoint's root hash: 64 hexadecimal digits.");
    }
}

public sealed class VerifyAuditHandler(IAuditVerifier verifier, ITransparencyLog log) : IQueryHandler<VerifyAuditQuery, AuditVerificationView>
{
    public async ValueTask<AuditVerificationView> Handle(VerifyAuditQuery query, CancellationToken ct)
    {
        var report = await verifier.VerifyAsync(query.EveryRoot, query.Checkpoint is { } sequence ? new CheckpointAnchor(sequence, query.Root!.ToLowerInvariant()) : null, ct);
        // The transparency log (issue 19): its entries, signed heads, cosignatures, and what the witnesses hold now.
        var logReport = await log.VerifyAsync(ct);
        return report with { Ok = report.Ok && logReport.Ok, Log = logReport };
    }
}
