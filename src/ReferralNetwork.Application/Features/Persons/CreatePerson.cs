using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>
/// Registers a person in the caller's organisation (the owner), before or without a referral. The answer echoes the
/// identity just sent — the caller already holds it, so that is no read to record; <c>person.created</c> is audited.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record CreatePersonCommand(PersonInput? Person) : ICommand<PersonView>;

public sealed class CreatePersonValidator : AbstractValidator<CreatePersonCommand>
{
    public CreatePersonValidator(TimeProvider time)
    {
        var person = new PersonInputValidator(time);
        RuleFor(c => c.Person).NotNull().WithName("body").WithMessage("A person is required.");
        // The body is the person itself, so its fields are named as sent ("givenName", not "person.givenName").
        RuleFor(c => c).Custom((command, context) =>
        {
            if (command.Person is null) return;
            foreach (var failure in person.Validate(command.Person).Errors) context.AddFailure(failure);
        });
    }
}

public sealed class CreatePersonHandler(PersonStore persons, ICurrentPrincipal current) : ICommandHandler<CreatePersonCommand, PersonView>
{
    public async ValueTask<PersonView> Handle(CreatePersonCommand command, CancellationToken ct)
    {
        var input = command.Person!;
        var id = (await persons.CreateAsync(current.Principal!.OrganisationId, input, ct)).Row.Id;
        var person = await persons.FindAsync(id, ct) ?? throw new InvalidOperationException($"Person {id} vanished within its own transaction.");
        return PersonView.Of(person, PersonStore.IdentityOf(input));
    }
}
