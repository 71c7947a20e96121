using System.Reflection;
using FluentValidation;
using FluentValidation.Validators;
using ReferralNetwork.Application.Features.Referrals;

namespace ReferralNetwork.Api.OpenApi;

/// <summary>
/// A request body record the API binds and then turns into a command: its members are checked by that command's
/// validator, so the contract takes their limits and required members from there.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ValidatedAsAttribute(Type command) : Attribute
{
    public Type Command { get; } = command;
}

/// <summary>What a validator enforces on one member, as the contract states it.</summary>
public sealed record MemberLimits(bool Required, int? MaxLength, int? MinLength, decimal? Minimum, decimal? Maximum);

/// <summary>
/// The limits the contract declares are the ones the server enforces: read from the FluentValidation validators
/// themselves (required members, maximum lengths, integer bounds), not written a second time by hand.
/// </summary>
public sealed class ContractLimits
{
    private readonly Dictionary<Type, Dictionary<string, MemberLimits>> _byType = [];

    public ContractLimits(IServiceProvider services)
    {
        var scope = services.CreateAsyncScope();
        try
        {
            Read(scope.ServiceProvider);
        }
        finally
        {
            // The database session among the validators' dependencies disposes only asynchronously (it never opened).
            scope.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private void Read(IServiceProvider scoped)
    {
        foreach (var type in typeof(SubmitReferralCommand).Assembly.GetTypes())
        {
            if (type.IsAbstract || type.BaseType is not { IsGenericType: true } b || b.GetGenericTypeDefinition() != typeof(AbstractValidator<>)) continue;
            var validated = b.GetGenericArguments()[0];
            if (scoped.GetService(typeof(IValidator<>).MakeGenericType(validated)) is not IValidator validator) continue;
            var descriptor = validator.CreateDescriptor();
            // Bounds computed from the clock (a birth year within the last 120 years) would make the committed contract
            // change with the calendar: such a validator's integer bounds stay out (its messages still say them).
            var timeDependent = type.GetConstructors().Any(c => c.GetParameters().Any(p => p.ParameterType == typeof(TimeProvider)));
            var members = new Dictionary<string, MemberLimits>(StringComparer.OrdinalIgnoreCase);
            foreach (var group in descriptor.GetMembersWithValidators())
            {
                if (string.IsNullOrEmpty(group.Key)) continue; // a rule over the whole message
                bool required = false;
                int? maxLength = null, minLength = null;
                decimal? minimum = null, maximum = null;
                foreach (var rule in descriptor.GetRulesForMember(group.Key))
                foreach (var component in rule.Components)
                {
                    var unconditional = !component.HasCondition && !component.HasAsyncCondition;
                    switch (component.Validator)
                    {
                        case INotEmptyValidator or INotNullValidator when unconditional:
                            required = true;
                            break;
                        case ILengthValidator length:
                            if (length.Max > 0) maxLength = Math.Min(maxLength ?? int.MaxValue, length.Max);
                            if (length.Min > 0 && unconditional) minLength = length.Min;
                            break;
                        case IBetweenValidator between when !timeDependent && between.From is IConvertible from && between.To is IConvertible to:
                            minimum = Convert.ToDecimal(from, System.Globalization.CultureInfo.InvariantCulture);
                            maximum = Convert.ToDecimal(to, System.Globalization.CultureInfo.InvariantCulture);
                            break;
                    }
                }
                members[group.Key] = new MemberLimits(required, maxLength, minLength, minimum, maximum);
            }
            _byType[validated] = members;
        }
    }

    /// <summary>The limits of the members of a body type (its own validator, or the command's it is validated as).</summary>
    public IReadOnlyDictionary<string, MemberLimits>? For(Type type)
    {
        if (_byType.TryGetValue(type, out var own)) return own;
        return type.GetCustomAttribute<ValidatedAsAttribute>() is { } validatedAs && _byType.TryGetValue(validatedAs.Command, out var command) ? command : null;
    }

    /// <summary>The limits of a query parameter: the same member of any query's validator (they agree, e.g. limit 1–100).</summary>
    public MemberLimits? ForParameter(string name)
    {
        MemberLimits? found = null;
        foreach (var members in _byType.Values)
            if (members.TryGetValue(name, out var limits) && (limits.MaxLength is not null || limits.Maximum is not null))
                found = found is null ? limits : found with
                {
                    MaxLength = Max(found.MaxLength, limits.MaxLength), Maximum = Max(found.Maximum, limits.Maximum), Minimum = Min(found.Minimum, limits.Minimum),
                };
        return found;
    }

    private static int? Max(int? a, int? b) => a is null || b is null ? a ?? b : Math.Max(a.Value, b.Value);
    private static decimal? Max(decimal? a, decimal? b) => a is null || b is null ? a ?? b : Math.Max(a.Value, b.Value);
    private static decimal? Min(decimal? a, decimal? b) => a is null || b is null ? a ?? b : Math.Min(a.Value, b.Value);
}
