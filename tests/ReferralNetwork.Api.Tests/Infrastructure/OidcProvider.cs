using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ReferralNetwork.Api.Tests.Infrastructure;

/// <summary>
/// A real OpenID Connect provider on loopback: tools/oidc/provider.mjs (the npm <c>oidc-provider</c> package, pinned by
/// tools/oidc/package-lock.json and installed by scripts/test.sh). It fails loudly when the package is not installed.
/// <see cref="SignInAsync"/> walks the authorization-code flow with PKCE as a browser would (the provider's sign-in page
/// takes any username), and redeems the code at the token endpoint.
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    public const string ClientId = "referral-network";
    public const string Audience = "urn:referral-network:api";
    public static readonly string Folder = Path.Combine(Repository.Root, "tools", "oidc");

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private OidcProvider(Process process, Uri issuer, string redirectUri)
    {
        _process = process;
        Issuer = issuer;
        RedirectUri = redirectUri;
    }

    /// <summary>The issuer, exactly as its tokens' <c>iss</c> says: <c>http://127.0.0.1:&lt;port&gt;</c>.</summary>
    public Uri Issuer { get; }

    public string Authority => Issuer.ToString().TrimEnd('/');

    public string RedirectUri { get; }

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Starts a provider on a free loopback port that redirects to <paramref name="redirectUris"/> (the first unless told).</summary>
    public static async Task<OidcProvider> StartAsync(params string[] redirectUris)
    {
        var module = Path.Combine(Folder, "node_modules", "oidc-provider", "package.json");
        if (!File.Exists(module))
            throw new InvalidOperationException($"{module} is missing: run `npm ci` in tools/oidc (scripts/test.sh does it before the tests).");
        if (redirectUris.Length == 0) redirectUris = ["http://127.0.0.1:9/app/"];
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var info = new ProcessStartInfo("node")
            {
                WorkingDirectory = Folder, UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            foreach (var argument in new[] { "provider.mjs", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--client-id", ClientId, "--audience", Audience })
                info.ArgumentList.Add(argument);
            foreach (var uri in redirectUris)
            {
                info.ArgumentList.Add("--redirect-uri");
                info.ArgumentList.Add(uri);
            }
            var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
            var provider = new OidcProvider(process, new Uri($"http://127.0.0.1:{port}"), redirectUris[0]);
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (provider._output) provider._output.AppendLine(e.Data);
                if (e.Data.StartsWith("listening ", StringComparison.Ordinal)) listening.TrySetResult();
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) lock (provider._output) provider._output.AppendLine(e.Data);
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var exited = process.WaitForExitAsync();
            var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(30)));
            if (first == listening.Task) return provider;
            var output = provider.Output;
            await provider.DisposeAsync();
            if (attempt < 3 && output.Contains("EADDRINUSE", StringComparison.Ordinal)) continue;
            throw new InvalidOperationException($"The OpenID provider did not start (tools/oidc/provider.mjs):\n{output}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The tokens of one sign-in: the access token for the API (aud = <see cref="Audience"/>) and the ID token (aud = the client).</summary>
    public sealed record Tokens(string AccessToken, string IdToken);

    /// <summary>Signs <paramref name="username"/> in through the provider's pages and redeems the code with its PKCE verifier.</summary>
    public async Task<Tokens> SignInAsync(string username, string scope = "openid referral-network")
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() };
        using var http = new HttpClient(handler) { BaseAddress = Issuer, Timeout = TimeSpan.FromSeconds(30) };
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var state = Base64Url(RandomNumberGenerator.GetBytes(16));
        var query = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = ClientId, ["response_type"] = "code", ["redirect_uri"] = RedirectUri, ["scope"] = scope, ["state"] = state,
            ["code_challenge"] = challenge, ["code_challenge_method"] = "S256",
        });
        var location = "/auth?" + await query.ReadAsStringAsync();
        var signedIn = false;
        for (var hops = 0; hops < 12; hops++)
        {
            using var response = location.StartsWith("/interaction/", StringComparison.Ordinal) && !signedIn
                ? await http.PostAsync(location, new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = username }))
                : await http.GetAsync(location);
            if (location.StartsWith("/interaction/", StringComparison.Ordinal)) signedIn = true;
            var next = response.Headers.Location?.ToString() ?? throw new InvalidOperationException(
                $"The provider answered {(int)response.StatusCode} at {location} without a redirect:\n{await response.Content.ReadAsStringAsync()}");
            if (next.StartsWith(RedirectUri, StringComparison.Ordinal))
            {
                var parameters = System.Web.HttpUtility.ParseQueryString(new Uri(next).Query);
                if (parameters["state"] != state) throw new InvalidOperationException("The state came back changed.");
                var code = parameters["code"] ?? throw new InvalidOperationException($"No code in {next}");
                using var token = await http.PostAsync("/token", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = RedirectUri, ["client_id"] = ClientId, ["code_verifier"] = verifier,
                }));
                var body = await token.Content.ReadAsStringAsync();
                if (!token.IsSuccessStatusCode) throw new InvalidOperationException($"The token endpoint answered {(int)token.StatusCode}: {body}");
                var json = JsonNode.Parse(body)!;
                return new Tokens(json["access_token"]!.GetValue<string>(), json["id_token"]!.GetValue<string>());
            }
            location = next.StartsWith(Issuer.ToString().TrimEnd('/'), StringComparison.Ordinal) ? next[Issuer.ToString().TrimEnd('/').Length..] : next;
        }
        throw new InvalidOperationException("The sign-in did not come back to the redirect URI.");
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close(); // provider.mjs exits when its standard input closes
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try { await _process.WaitForExitAsync(wait.Token); }
                catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
