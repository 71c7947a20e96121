using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>A supervisor names the person of their side (referrer or receiver) who holds the case; reassigning is the same call.</summary>
[AllowedRoles(Role.Supervisor)]
public sealed record AssignReferralCommand(Guid Id, string? IfMatch, Guid? UserId) : ICommand<ReferralView>;

public sealed class AssignReferralValidator : AbstractValidator<AssignReferralCommand>
{
    public AssignReferralValidator() => RuleFor(c => c.UserId).NotEmpty();
}

/// <summary>A caseworker (or supervisor) signed in as themself takes the case on their side.</summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor)]
public sealed record TakeReferralCommand(Guid Id, string? IfMatch) : ICommand<ReferralView>;

/// <summary>Nobody holds the case on the caller's side any more: by a supervisor, or by the assignee themself.</summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor)]
public sealed record UnassignReferralCommand(Guid Id, string? IfMatch) : ICommand<ReferralView>;

public sealed class AssignReferralHandler(ReferralAssignment assignment) : ICommandHandler<AssignReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(AssignReferralCommand command, CancellationToken ct) =>
        await assignment.ApplyAsync(command.Id, command.IfMatch, (_, _) => command.UserId, ct);
}

public sealed class TakeReferralHandler(ReferralAssignment assignment) : ICommandHandler<TakeReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(TakeReferralCommand command, CancellationToken ct) =>
        await assignment.ApplyAsync(command.Id, command.IfMatch, (principal, _) => principal.UserId
            ?? throw new ForbiddenException("Only a person signed in as themself can take a case; an API key has no one to assign."), ct);
}

public sealed class UnassignReferralHandler(ReferralAssignment assignment) : ICommandHandler<UnassignReferralCommand, ReferralView>
{
    public async ValueTask<ReferralView> Handle(UnassignReferralCommand command, CancellationToken ct) =>
        await assignment.ApplyAsync(command.Id, command.IfMatch, (principal, current) =>
            principal.Has(Role.Supervisor) || (current is not null && current == principal.UserId) ? null
                : throw new ForbiddenException("Only a supervisor, or the person assigned, can unassign a case."), ct);
}

/// <summary>
/// The one path of assign, take and unassign: load, the caller's side (404 for a referral it cannot see), If-Match, the
/// person must be an active caseworker or supervisor of the caller's own organisation (422), the domain decides (409),
/// and the change is written through <see cref="ReferralRepository"/> like every other.
/// </summary>
public sealed class ReferralAssignment(IDbSession session, ICurrentPrincipal current, Clock clock, ReferralRepository repository, ReferralReader reader)
{
    public async Task<ReferralView> ApplyAsync(Guid id, string? ifMatch, Func<Principal, Guid?, Guid?> assignee, CancellationToken ct)
    {
        var principal = current.Principal!;
        var loaded = await repository.LoadAsync(id, ct);
        var referral = loaded?.Referral;
        var side = referral?.PartyOf(principal.OrganisationId) ?? throw new NotFoundException("The referral");
        if (side == Party.Observer) throw new ForbiddenException("Observers follow a referral; only the referrer's and the receiver's people are assigned to it.");
        ReferralETag.Require(ifMatch, referral.State.Version);
        var userId = assignee(principal, referral.AssigneeOf(side));
        if (userId is { } user && !await MayWorkCasesAsync(user, principal.OrganisationId, ct))
            throw new RuleViolationException("assignment.not_a_caseworker", "Assign an active caseworker or supervisor of your own organisation.");
        var now = clock.Now();
        await repository.SaveAsync(referral.Assign(side, userId, principal.AsActor(), now), loaded!.Head, ct);
        return await reader.ViewAsync(loaded, principal.OrganisationId, now, ct);
    }

    private async Task<bool> MayWorkCasesAsync(Guid userId, Guid organisationId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var roles = await connection.QueryAsync<string>(new CommandDefinition("""
            SELECT r.role FROM users u JOIN user_roles r ON r.user_id = u.id WHERE u.id = @UserId AND u.organisation_id = @OrganisationId AND u.active = @Active
            """, new { UserId = userId, OrganisationId = organisationId, Active = true }, session.Transaction, cancellationToken: ct));
        return roles.Any(r => r == Role.Caseworker.Code() || r == Role.Supervisor.Code());
    }
}
