using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Abstractions;

/// <summary>
/// Who is calling: always one organisation, one or more roles (DESIGN §1). A named person (issue 16) has
/// <see cref="UserId"/> — then <see cref="Id"/> is the user's id too, so audit events, timeline entries and notes name
/// the user — and, when signed in with a cookie, the hash of the session (<see cref="SessionIdHash"/>), or, when vouched
/// for by a bearer JWT of the organisation's own OpenID Connect provider, that provider's issuer (<see cref="IdentityProvider"/>). An API key
/// (a partner system) has no user: <see cref="Id"/> is the key's id.
/// </summary>
public sealed record Principal(Guid Id, Guid OrganisationId, IReadOnlySet<Role> Roles, string Name, Guid? UserId = null, byte[]? SessionIdHash = null,
    string? IdentityProvider = null)
{
    public bool Has(Role role) => Roles.Contains(role);
    public bool HasAny(params Role[] roles) => roles.Any(Roles.Contains);

    /// <summary>The principal as the domain names an actor: organisation, principal and (for a person) user.</summary>
    public Domain.Referrals.Actor AsActor() => new(OrganisationId, Id, UserId);

    /// <summary>The role recorded in audit events: the most privileged one held.</summary>
    public Role PrimaryRole => Roles.Min();
}

public interface ICurrentPrincipal
{
    /// <summary>The authenticated caller, or null for anonymous calls (which no message accepts).</summary>
    Principal? Principal { get; }
}

/// <summary>
/// The caller of this scope: set by the API-key handler for a request, by a command-line command, or — as
/// <see cref="SystemPrincipal.Instance"/> — by a worker that sends commands through the pipeline.
/// </summary>
public sealed class CurrentPrincipal : ICurrentPrincipal
{
    public Principal? Principal { get; set; }
}

/// <summary>
/// The system itself (the deadline monitor, start-up bootstrap): it holds only <see cref="Role.System"/>, which no key or
/// user can be given, and its audit events name no principal or organisation (role <c>system</c>).
/// </summary>
public static class SystemPrincipal
{
    public static readonly Principal Instance = new(Guid.Empty, Guid.Empty, new HashSet<Role> { Role.System }, "system");

    public static bool IsSystem(this Principal principal) => principal.Roles.Count == 1 && principal.Has(Role.System);
}
