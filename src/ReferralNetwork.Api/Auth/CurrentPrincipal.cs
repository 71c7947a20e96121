using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Api.Auth;

/// <summary>The caller of this scope: set by the API-key handler for a request, or by a command-line command.</summary>
public sealed class CurrentPrincipal : ICurrentPrincipal
{
    public Principal? Principal { get; set; }
}
