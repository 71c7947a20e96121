using System.Net;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace ReferralNetwork.Api.Auth;

/// <summary>
/// One organisation's own OpenID Connect provider, trusted for its people (issue 16 item 3), under
/// <c>Authentication:Issuers:&lt;n&gt;:</c>. A bearer JWT whose <c>iss</c> is <see cref="Authority"/>, whose audience is
/// <see cref="Audience"/> and whose signature checks against the provider's published keys names a person by
/// <see cref="UsernameClaim"/>; the API accepts it only for an active user of <see cref="OrganisationId"/> with that username.
/// </summary>
public sealed class IssuerOptions
{
    /// <summary>The issuer, exactly as its tokens' <c>iss</c> says (its metadata is at <c>{Authority}/.well-known/openid-configuration</c>).</summary>
    public string? Authority { get; set; }

    /// <summary>The audience the provider puts in access tokens meant for this API (<c>aud</c>).</summary>
    public string? Audience { get; set; }

    /// <summary>The organisation whose users this provider names; it can name no one else.</summary>
    public Guid OrganisationId { get; set; }

    /// <summary>The claim holding the username (<c>preferred_username</c> unless set; e.g. <c>upn</c>, <c>email</c>, <c>sub</c>).</summary>
    public string UsernameClaim { get; set; } = "preferred_username";

    /// <summary>Where set, the thin client offers sign-in through this provider as this public client (authorization code with PKCE).</summary>
    public string? ClientId { get; set; }

    /// <summary>The scopes the thin client asks for (<c>openid</c> unless set).</summary>
    public string Scope { get; set; } = "openid";

    /// <summary>The button's text in the thin client (the authority's host unless set).</summary>
    public string? DisplayName { get; set; }
}

/// <summary>A configured issuer with its metadata and keys, fetched when first needed and refreshed by the configuration manager.</summary>
public sealed record TrustedIssuer(string Id, IssuerOptions Options, string Issuer, IConfigurationManager<OpenIdConnectConfiguration> Metadata)
{
    public string DisplayName => Options.DisplayName ?? new Uri(Issuer).Authority;
}

/// <summary>
/// The configured issuers, read once. Metadata and keys are fetched from the authority over HTTPS — plain HTTP only for a
/// loopback authority in Development (the tests' provider); <see cref="Problems"/> stops the process otherwise.
/// </summary>
public sealed class OidcIssuers
{
    public const string Section = "Authentication:Issuers";
    private readonly Dictionary<string, TrustedIssuer> _byIssuer = new(StringComparer.Ordinal);

    public OidcIssuers(IConfiguration configuration, IHostEnvironment environment)
    {
        foreach (var (id, options) in Read(configuration))
        {
            if (Problem(id, options, environment) is not null) continue; // refused at start-up (StartupChecks)
            var issuer = options.Authority!.TrimEnd('/');
            var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            {
                Timeout = TimeSpan.FromSeconds(10), MaxResponseContentBufferSize = 1024 * 1024,
            };
            var metadata = new ConfigurationManager<OpenIdConnectConfiguration>(issuer + "/.well-known/openid-configuration", new OpenIdConnectConfigurationRetriever(),
                new HttpDocumentRetriever(http) { RequireHttps = new Uri(issuer).Scheme == Uri.UriSchemeHttps })
            {
                AutomaticRefreshInterval = TimeSpan.FromHours(12), RefreshInterval = TimeSpan.FromMinutes(1),
            };
            _byIssuer[issuer] = new TrustedIssuer(id, options, issuer, metadata);
        }
    }

    public IReadOnlyCollection<TrustedIssuer> All => _byIssuer.Values;

    /// <summary>The thin client's policy: its connect-src names the issuers that it signs in through.</summary>
    public string ContentSecurityPolicy => _policy ??= ThinClient.ThinClientSetup.ContentSecurityPolicyWith(
        _byIssuer.Values.Where(i => i.Options.ClientId is not null).Select(i => i.Issuer));

    private string? _policy;

    public bool Any => _byIssuer.Count > 0;

    public TrustedIssuer? Find(string? iss) => iss is not null && _byIssuer.TryGetValue(iss.TrimEnd('/'), out var issuer) ? issuer : null;

    public static IEnumerable<(string Id, IssuerOptions Options)> Read(IConfiguration configuration) =>
        configuration.GetSection(Section).GetChildren().Select(child => (child.Key, child.Get<IssuerOptions>() ?? new IssuerOptions()));

    /// <summary>What is wrong with the configured issuers; the API refuses to start while anything is.</summary>
    public static IEnumerable<string> Problems(IConfiguration configuration, IHostEnvironment environment)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, options) in Read(configuration))
        {
            if (Problem(id, options, environment) is { } problem) yield return problem;
            else if (!seen.Add(options.Authority!.TrimEnd('/'))) yield return $"{Section}:{id}:Authority names an issuer configured twice: one issuer, one organisation.";
        }
    }

    private static string? Problem(string id, IssuerOptions options, IHostEnvironment environment)
    {
        var prefix = $"{Section}:{id}";
        if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http") || authority.Query.Length > 0)
            return $"{prefix}:Authority must be the issuer's absolute https URL.";
        if (authority.Scheme == "http" && !(environment.IsDevelopment() && IsLoopback(authority)))
            return $"{prefix}:Authority is plain http ({authority}): metadata and keys are fetched over https only (http only for a loopback provider in Development).";
        if (string.IsNullOrWhiteSpace(options.Audience)) return $"{prefix}:Audience is required: the aud of access tokens meant for this API.";
        if (options.OrganisationId == Guid.Empty) return $"{prefix}:OrganisationId is required: the organisation whose people the provider names.";
        if (string.IsNullOrWhiteSpace(options.UsernameClaim)) return $"{prefix}:UsernameClaim must name a claim.";
        return null;
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback && (uri.HostNameType != UriHostNameType.Dns || uri.Host == "localhost") || IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip);
}
