using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Organisations;

namespace ReferralNetwork.Application.Features.Organisations;

[AllowedRoles(Role.NetworkAdmin)]
public sealed record CreateOrganisationCommand(
    string? Name, string? Kind, string? Municipality, IReadOnlyList<string>? Services, IReadOnlyList<string>? Languages,
    int? Capacity = null, string? ContactEmail = null, string? ContactPhone = null) : ICommand<OrganisationView>;

public sealed class CreateOrganisationValidator : AbstractValidator<CreateOrganisationCommand>
{
    public CreateOrganisationValidator()
    {
        RuleFor(c => c.Name).NotEmpty().IsText(200);
        RuleFor(c => c.Kind).NotEmpty().IsCode<CreateOrganisationCommand, OrganisationKind>();
        RuleFor(c => c.Municipality).NotEmpty().IsText(100);
        RuleFor(c => c.Services).NotNull().Must(s => s is null || s.Count <= 50).WithMessage("At most 50 services.");
        RuleForEach(c => c.Services).IsServiceCode();
        RuleFor(c => c.Languages).NotEmpty().Must(l => l is null || l.Count <= 20).WithMessage("At most 20 languages.");
        RuleForEach(c => c.Languages).IsLanguageTag();
        RuleFor(c => c.Capacity).InclusiveBetween(0, 100_000);
        RuleFor(c => c.ContactEmail).EmailAddress().MaximumLength(200);
        RuleFor(c => c.ContactPhone).IsText(50);
    }
}

public sealed class CreateOrganisationHandler(IDbSession session, IAuditLog audit, Clock clock) : ICommandHandler<CreateOrganisationCommand, OrganisationView>
{
    public async ValueTask<OrganisationView> Handle(CreateOrganisationCommand command, CancellationToken ct)
    {
        var services = command.Services!.Distinct().ToList();
        await ServiceCodes.EnsureKnownAsync(session, services, "services", ct);
        var id = Guid.CreateVersion7();
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO organisations (id, name, kind, municipality, capacity, contact_email, contact_phone, active, created_at, version)
            VALUES (@Id, @Name, @Kind, @Municipality, @Capacity, @ContactEmail, @ContactPhone, @Active, @Now, 1)
            """, new { Id = id, command.Name, command.Kind, command.Municipality, command.Capacity, command.ContactEmail, command.ContactPhone, Active = true, Now = clock.Now() },
            session.Transaction, cancellationToken: ct));
        await OrganisationReader.ReplaceServicesAsync(session, id, services, ct);
        await OrganisationReader.ReplaceLanguagesAsync(session, id, command.Languages!, ct);
        audit.Record(new AuditEntry(AuditStreams.Organisation(id), "organisation.created",
            new Dictionary<string, object?> { ["organisationId"] = id, ["kind"] = command.Kind, ["services"] = services }));
        return (await OrganisationReader.FindAsync(session, id, ct))!;
    }
}
