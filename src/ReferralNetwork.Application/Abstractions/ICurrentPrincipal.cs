using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Abstractions;

/// <summary>Who is calling: always one organisation, one or more roles (DESIGN §1).</summary>
public sealed record Principal(Guid Id, Guid OrganisationId, IReadOnlySet<Role> Roles, string Name)
{
    public bool Has(Role role) => Roles.Contains(role);
    public bool HasAny(params Role[] roles) => roles.Any(Roles.Contains);

    /// <summary>The role recorded in audit events: the most privileged one held.</summary>
    public Role PrimaryRole => Roles.Min();
}

public interface ICurrentPrincipal
{
    /// <summary>The authenticated caller, or null for anonymous calls (which no message accepts).</summary>
    Principal? Principal { get; }
}
