using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Behaviors;

/// <summary>
/// The one place where roles are checked. A message without <see cref="AllowedRolesAttribute"/> is refused
/// (fail closed). Which rows a caller may see is decided inside each query, so a foreign resource is a 404.
/// </summary>
public sealed class AuthorizationBehavior<TMessage, TResponse>(ICurrentPrincipal current)
    : IPipelineBehavior<TMessage, TResponse> where TMessage : IMessage
{
    private static readonly IReadOnlyList<Role>? Allowed = AllowedRolesAttribute.For(typeof(TMessage));

    public ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (Allowed is null)
            throw new InvalidOperationException($"{typeof(TMessage).Name} declares no [AllowedRoles]; refusing it.");
        // Sign-in and activation: declared anonymous (Role.Anonymous), checked by their handlers.
        if (Allowed.Contains(Role.Anonymous)) return next(message, cancellationToken);
        var principal = current.Principal ?? throw new ForbiddenException("Authentication is required.");
        if (!Allowed.Any(principal.Has))
            throw new ForbiddenException($"This action needs one of the roles: {string.Join(", ", Allowed.Select(r => Domain.Wire.Code(r)))}.");
        return next(message, cancellationToken);
    }
}
