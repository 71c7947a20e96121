using System.Reflection;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Abstractions;

/// <summary>
/// The roles that may send a message. Every command and query carries one; the authorization behaviour refuses a
/// message that has none, so a forgotten policy fails closed (and a test lists every message).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class AllowedRolesAttribute(params Role[] roles) : Attribute
{
    public IReadOnlyList<Role> Roles { get; } = roles;

    public static IReadOnlyList<Role>? For(Type messageType) => messageType.GetCustomAttribute<AllowedRolesAttribute>()?.Roles;
}
