using System.Security.Cryptography;
using ReferralNetwork.Api.Auth;
using ReferralNetwork.Infrastructure.Crypto;

namespace ReferralNetwork.Api;

/// <summary>
/// The configuration checks made before anything else starts. Keys fail closed: outside <c>Development</c> a command
/// that needs a key refuses to start without it (exit code 1, one log line naming every missing or invalid setting) —
/// the API never generates key material for itself there, and never next to the data it protects. In Development the
/// missing keys are supplied from <see cref="DevelopmentKeys"/> (generated once into their own folder, with a warning).
/// Outside Development the bootstrap network-admin key must also be random enough (<see cref="BootstrapKeyPolicy"/>).
/// </summary>
public static class StartupChecks
{
    public const string MasterKey = "Encryption:MasterKey";
    public const string CheckpointSigningKey = "Audit:CheckpointSigningKey";

    public sealed record Outcome(IReadOnlyList<string> Problems, IReadOnlyList<string> Warnings);

    /// <summary>The keys each command uses: serving seals, opens and signs; rotation opens and seals; the rest none.</summary>
    private static string[] KeysFor(string command) => command switch
    {
        "serve" => [MasterKey, CheckpointSigningKey],
        "rotate-master-key" => [MasterKey],
        _ => [],
    };

    public static Outcome Run(IConfiguration configuration, IHostEnvironment environment, string command)
    {
        var problems = new List<string>();
        var warnings = new List<string>();
        var needed = KeysFor(command);
        if (environment.IsDevelopment() && needed.Length > 0)
        {
            try
            {
                warnings.AddRange(DevelopmentKeys.Supply(configuration, configuration["Storage:DataDirectory"] ?? "data"));
            }
            catch (InvalidOperationException e)
            {
                problems.Add(e.Message);
            }
        }
        var missing = needed.Where(setting => string.IsNullOrWhiteSpace(configuration[setting])).ToList();
        if (missing.Count > 0)
            problems.Add($"{string.Join(" and ", missing)} {(missing.Count == 1 ? "is" : "are")} not configured; outside Development the API " +
                         "generates no keys (see the README's Configuration and deploy/README.md).");
        if (needed.Contains(MasterKey)) problems.AddRange(MasterKeyProblems(configuration));
        if (needed.Contains(CheckpointSigningKey) && CheckpointKeyProblem(configuration[CheckpointSigningKey]) is { } checkpoint) problems.Add(checkpoint);
        if (command == "serve" && !environment.IsDevelopment() && BootstrapKeyPolicy.Problem(configuration["Bootstrap:NetworkAdminKey"]) is { } bootstrap)
            problems.Add(bootstrap);
        // Organisations' own identity providers fail closed too: keys fetched over https only (http only for a loopback
        // provider in Development), and each issuer names its audience and organisation.
        if (command == "serve") problems.AddRange(OidcIssuers.Problems(configuration, environment));
        return new Outcome(problems, warnings);
    }

    /// <summary>One critical log line with every problem, flushed before the process exits with 1.</summary>
    public static int Refuse(IConfiguration configuration, IReadOnlyList<string> problems)
    {
        using (var loggers = LoggerFactory.Create(logging => logging.AddConfiguration(configuration.GetSection("Logging"))
                   .AddSimpleConsole(console => console.SingleLine = true)))
            loggers.CreateLogger("ReferralNetwork.Startup").LogCritical("Refusing to start: {Problems}", string.Join(" ", problems));
        return 1;
    }

    private static IEnumerable<string> MasterKeyProblems(IConfiguration configuration)
    {
        var keys = configuration.GetSection("Encryption:PreviousKeys").GetChildren().Select(k => ($"Encryption:PreviousKeys:{k.Key}", k.Value))
            .Prepend((MasterKey, configuration[MasterKey]));
        foreach (var (setting, value) in keys)
        {
            if (string.IsNullOrWhiteSpace(value)) continue;
            var bytes = new byte[64];
            if (!Convert.TryFromBase64String(value.Trim(), bytes, out var length) || length != 32)
                yield return $"{setting} is not base64 of 32 bytes (generate one with: openssl rand -base64 32).";
        }
    }

    private static string? CheckpointKeyProblem(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem)) return null;
        try
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(pem);
            return key.KeySize == 256 ? null : $"{CheckpointSigningKey} must be an ECDSA P-256 key.";
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            return $"{CheckpointSigningKey} is not a PEM private key (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256).";
        }
    }
}
