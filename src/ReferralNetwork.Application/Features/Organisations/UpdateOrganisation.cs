using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Organisations;

/// <summary>
/// Partial update: an absent (null) field is left as it is. <c>active</c> is the network admin's alone; a deactivated
/// organisation's keys are refused (401 <c>organisation_inactive</c>) and its webhooks stop until it is reactivated.
/// </summary>
[AllowedRoles(Role.NetworkAdmin, Role.OrgAdmin)]
public sealed record UpdateOrganisationCommand(
    Guid Id, string? Name = null, string? Municipality = null, IReadOnlyList<string>? Services = null, IReadOnlyList<string>? Languages = null,
    int? Capacity = null, string? ContactEmail = null, string? ContactPhone = null, bool? Active = null, bool? RequireSecondFactor = null) : ICommand<OrganisationView>;

public sealed class UpdateOrganisationValidator : AbstractValidator<UpdateOrganisationCommand>
{
    public UpdateOrganisationValidator()
    {
        RuleFor(c => c.Name).NotEmpty().IsText(200).When(c => c.Name is not null);
        RuleFor(c => c.Municipality).NotEmpty().IsText(100).When(c => c.Municipality is not null);
        RuleFor(c => c.Services).Must(s => s is null || s.Count <= 50).WithMessage("At most 50 services.");
        RuleForEach(c => c.Services).IsServiceCode();
        RuleFor(c => c.Languages).Must(l => l is null || (l.Count is > 0 and <= 20)).WithMessage("Between 1 and 20 languages.");
        RuleForEach(c => c.Languages).IsLanguageTag();
        RuleFor(c => c.Capacity).InclusiveBetween(0, 100_000);
        RuleFor(c => c.ContactEmail).EmailAddress().MaximumLength(200);
        RuleFor(c => c.ContactPhone).IsText(50);
    }
}

public sealed class UpdateOrganisationHandler(IDbSession session, IAuditLog audit, ICurrentPrincipal current) : ICommandHandler<UpdateOrganisationCommand, OrganisationView>
{
    public async ValueTask<OrganisationView> Handle(UpdateOrganisationCommand command, CancellationToken ct)
    {
        var principal = current.Principal!;
        var isNetworkAdmin = principal.Has(Role.NetworkAdmin);
        // An org admin sees its own organisation as editable; any other is "not found" for this purpose.
        if (!isNetworkAdmin && principal.OrganisationId != command.Id) throw new NotFoundException("The organisation");
        if (command.Active is not null && !isNetworkAdmin) throw new ForbiddenException("Only the network admin activates or deactivates organisations.");
        // A deactivated organisation's keys get 401 (organisation_inactive), so this would lock the network admin out.
        if (command.Active == false && command.Id == principal.OrganisationId)
            throw new RuleViolationException("organisation.self_deactivation", "The network admin cannot deactivate its own organisation.");
        var existing = await OrganisationReader.FindAsync(session, command.Id, ct) ?? throw new NotFoundException("The organisation");
        if (command.Services is not null) await ServiceCodes.EnsureKnownAsync(session, command.Services, "services", ct);

        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE organisations SET name = @Name, municipality = @Municipality, capacity = @Capacity, contact_email = @ContactEmail,
                   contact_phone = @ContactPhone, active = @Active, version = version + 1
            WHERE id = @Id
            """, new
        {
            command.Id,
            Name = command.Name ?? existing.Name,
            Municipality = command.Municipality ?? existing.Municipality,
            Capacity = command.Capacity ?? existing.Capacity,
            ContactEmail = command.ContactEmail ?? existing.ContactEmail,
            ContactPhone = command.ContactPhone ?? existing.ContactPhone,
            Active = command.Active ?? existing.Active,
        }, session.Transaction, cancellationToken: ct));
        if (command.Services is not null) await OrganisationReader.ReplaceServicesAsync(session, command.Id, command.Services, ct);
        if (command.Languages is not null) await OrganisationReader.ReplaceLanguagesAsync(session, command.Id, command.Languages, ct);
        // Issue 16: the organisation's policy that every one of its people signs in with a second factor.
        if (command.RequireSecondFactor is { } requireSecondFactor)
            await connection.ExecuteAsync(new CommandDefinition("UPDATE organisations SET require_second_factor = @Require WHERE id = @Id",
                new { command.Id, Require = requireSecondFactor }, session.Transaction, cancellationToken: ct));

        var changed = new[]
        {
            ("name", command.Name), ("municipality", command.Municipality), ("services", (object?)command.Services), ("languages", command.Languages),
            ("capacity", command.Capacity), ("contactEmail", command.ContactEmail), ("contactPhone", command.ContactPhone), ("active", command.Active),
            ("requireSecondFactor", command.RequireSecondFactor),
        }.Where(f => f.Item2 is not null).Select(f => f.Item1).ToList();
        audit.Record(new AuditEntry(AuditStreams.Organisation(command.Id), "organisation.updated",
            new Dictionary<string, object?> { ["organisationId"] = command.Id, ["fields"] = changed, ["active"] = command.Active }));
        return (await OrganisationReader.FindAsync(session, command.Id, ct))!;
    }
}
