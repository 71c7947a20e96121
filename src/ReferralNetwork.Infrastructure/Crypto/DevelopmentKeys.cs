using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;

namespace ReferralNetwork.Infrastructure.Crypto;

/// <summary>
/// Keys for a developer's machine that configured none — in the <c>Development</c> environment only; everywhere else the
/// API refuses to start without configured keys. They are generated once into <c>Development:KeysDirectory</c> (default
/// <c>dev-keys</c> in the working directory) and put into the configuration as if they had been configured, so a
/// developer's database stays readable across restarts. That folder is never the data folder nor inside it: whoever
/// copies the database (a backup, a bug report) must not carry the keys that open it and sign its audit checkpoints.
/// </summary>
public static class DevelopmentKeys
{
    public const string DirectorySetting = "Development:KeysDirectory";
    public const string DefaultDirectory = "dev-keys";
    public const string MasterKeyId = "dev";
    public const string MasterKeyFile = "dev-master-key.b64";
    public const string CheckpointKeyFile = "dev-checkpoint-signing-key.pem";
    public const string LogSigningKeyFile = "dev-log-signing-key.pem";

    /// <summary>
    /// Fills in <c>Encryption:MasterKey</c> (id <c>dev</c>), <c>Audit:CheckpointSigningKey</c> and <c>Audit:LogSigningKey</c>
    /// (the transparency log's Ed25519 key) where they are missing.
    /// Returns one warning per generated or loaded key, for the log; throws when the folder lies inside the data folder.
    /// </summary>
    public static IReadOnlyList<string> Supply(IConfiguration configuration, string dataDirectory)
    {
        var (directory, data) = Folders(configuration, dataDirectory);
        var warnings = new List<string>();
        if (string.IsNullOrWhiteSpace(configuration["Encryption:MasterKey"]))
        {
            var path = Load(directory, data, MasterKeyFile, () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            configuration["Encryption:MasterKey"] = File.ReadAllText(path).Trim();
            configuration["Encryption:MasterKeyId"] = MasterKeyId;
            warnings.Add($"NO Encryption:MasterKey CONFIGURED: personal data is encrypted with a DEVELOPMENT key from {path}. Development only.");
        }
        if (string.IsNullOrWhiteSpace(configuration["Audit:CheckpointSigningKey"]))
        {
            var path = Load(directory, data, CheckpointKeyFile, () =>
            {
                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                return key.ExportPkcs8PrivateKeyPem();
            });
            configuration["Audit:CheckpointSigningKey"] = File.ReadAllText(path);
            warnings.Add($"NO Audit:CheckpointSigningKey CONFIGURED: audit checkpoints are signed with a DEVELOPMENT key from {path}. Development only.");
        }
        if (string.IsNullOrWhiteSpace(configuration["Audit:LogSigningKey"]))
        {
            configuration["Audit:LogSigningKey"] = LogSigningKey(configuration, dataDirectory, out var path);
            warnings.Add($"NO Audit:LogSigningKey CONFIGURED: the audit log's checkpoints are signed with a DEVELOPMENT key from {path}. Development only.");
        }
        return warnings;
    }

    /// <summary>The development Ed25519 key of the transparency log (PEM), from the keys folder, created once.</summary>
    public static string LogSigningKey(IConfiguration configuration, string dataDirectory, out string path)
    {
        var (directory, data) = Folders(configuration, dataDirectory);
        path = Load(directory, data, LogSigningKeyFile, ReferralNetwork.Transparency.Ed25519Key.NewPem);
        return File.ReadAllText(path);
    }

    private static (string Directory, string Data) Folders(IConfiguration configuration, string dataDirectory)
    {
        var directory = Path.GetFullPath(configuration[DirectorySetting] is { Length: > 0 } configured ? configured : DefaultDirectory);
        var data = Path.GetFullPath(dataDirectory);
        if (IsWithin(directory, data))
            throw new InvalidOperationException(
                $"{DirectorySetting} ('{directory}') lies inside Storage:DataDirectory ('{data}'): keys are never kept beside the data they open.");
        return (directory, data);
    }

    /// <summary>The key file in <paramref name="directory"/>, created once (owner-only). Earlier versions kept it in the
    /// data folder; such a file is moved out rather than left there or replaced (which would strand the data).</summary>
    private static string Load(string directory, string dataDirectory, string file, Func<string> generate)
    {
        var path = Path.Combine(directory, file);
        if (File.Exists(path)) return path;
        Directory.CreateDirectory(directory);
        var legacy = Path.Combine(dataDirectory, file);
        if (File.Exists(legacy)) File.Move(legacy, path);
        else File.WriteAllText(path, generate());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static bool IsWithin(string path, string directory)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var root = Path.TrimEndingDirectorySeparator(directory);
        var candidate = Path.TrimEndingDirectorySeparator(path);
        return candidate.Equals(root, comparison) || candidate.StartsWith(root + Path.DirectorySeparatorChar, comparison);
    }
}
