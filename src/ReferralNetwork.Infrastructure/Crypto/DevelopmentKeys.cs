using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace ReferralNetwork.Infrastructure.Crypto;

/// <summary>
/// Keys for a machine that configured none: generated once into the data folder, with a loud warning, so a developer's
/// database stays readable across restarts. Production configures its keys (deploy/README.md).
/// </summary>
public static class DevelopmentKeys
{
    public static byte[] MasterKey(string dataDirectory, ILogger logger)
    {
        var path = Path.Combine(dataDirectory, "dev-master-key.b64");
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(dataDirectory);
            File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        logger.LogWarning("NO Encryption:MasterKey CONFIGURED: personal data is encrypted with a DEVELOPMENT key from {Path}. Never use this in production.", path);
        return Convert.FromBase64String(File.ReadAllText(path).Trim());
    }
}
