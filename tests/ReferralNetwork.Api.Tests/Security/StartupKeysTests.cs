using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using ReferralNetwork.Api.Auth;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Features.ApiKeys;

namespace ReferralNetwork.Api.Tests.Security;

/// <summary>
/// Keys fail closed (issue 14, items 1 and 9), tried on the built program as an operator starts it: outside Development
/// it refuses to start without its keys, or with a guessable bootstrap key — one log line, exit code 1, no key written
/// anywhere; in Development (how the README's <c>dotnet run</c> starts it) keys are generated into <c>dev-keys/</c>,
/// never into the data folder, and <c>seed-demo</c> prints keys that work.
/// </summary>
public sealed partial class StartupKeysTests
{
    [GeneratedRegex(@"^\s+(?<role>\w+)\s+.*?\s(?<key>rn_\S+)$", RegexOptions.Multiline)]
    private static partial Regex PrintedKey();

    private static async Task<(int ExitCode, string Output, string WorkingDirectory)> ServeAsync(Dictionary<string, string> environment)
    {
        await using var api = await ApiProcess.StartAsync(environment, "serve");
        var exitCode = await api.WaitForExitAsync(TimeSpan.FromMinutes(1));
        return (exitCode, api.Output, api.WorkingDirectory);
    }

    private static IEnumerable<string> KeyFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith("referralnetwork.db", StringComparison.Ordinal));

    [Fact]
    public async Task In_production_without_keys_the_api_refuses_to_start_naming_both_and_writes_no_key()
    {
        var (exitCode, output, directory) = await ServeAsync(new Dictionary<string, string> { ["Bootstrap__NetworkAdminKey"] = ApiKeySecrets.NewKey() });

        Assert.True(exitCode != 0, output);
        var refusal = Assert.Single(output.Split('\n'), l => l.Contains("Refusing to start", StringComparison.Ordinal));
        Assert.Contains("Encryption:MasterKey", refusal);
        Assert.Contains("Audit:CheckpointSigningKey", refusal);
        // Nothing generated: not beside the data, not anywhere in the working directory.
        Assert.Empty(KeyFiles(directory));
    }

    [Fact]
    public async Task In_production_a_missing_checkpoint_key_alone_is_named_and_an_invalid_master_key_too()
    {
        var (exitCode, output, _) = await ServeAsync(new Dictionary<string, string> { ["Encryption__MasterKey"] = ApiFixture.MasterKey });
        Assert.True(exitCode != 0, output);
        var refusal = Assert.Single(output.Split('\n'), l => l.Contains("Refusing to start", StringComparison.Ordinal));
        Assert.Contains("Audit:CheckpointSigningKey", refusal);
        Assert.DoesNotContain("Encryption:MasterKey", refusal);

        var invalid = await ServeAsync(new Dictionary<string, string>
        {
            ["Encryption__MasterKey"] = "c2hvcnQ=", ["Audit__CheckpointSigningKey"] = ApiProcess.CheckpointSigningKeyPem,
        });
        Assert.True(invalid.ExitCode != 0, invalid.Output);
        Assert.Contains("Encryption:MasterKey is not base64 of 32 bytes", invalid.Output);
    }

    [Fact]
    public async Task In_production_the_readme_bootstrap_key_is_refused_and_a_generated_one_accepted()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md"));
        var sample = Regex.Match(readme, @"Bootstrap__NetworkAdminKey=(rn_\S+)").Groups[1].Value;
        Assert.Equal("rn_walkthrough_admin_key_0123456789", sample);
        var environment = new Dictionary<string, string>
        {
            ["Bootstrap__NetworkAdminKey"] = sample, ["Encryption__MasterKey"] = ApiFixture.MasterKey,
            ["Audit__CheckpointSigningKey"] = ApiProcess.CheckpointSigningKeyPem,
        };
        var (exitCode, output, directory) = await ServeAsync(environment);
        Assert.True(exitCode != 0, output);
        Assert.Contains("Bootstrap:NetworkAdminKey carries about", Assert.Single(output.Split('\n'), l => l.Contains("Refusing to start", StringComparison.Ordinal)));
        Assert.False(File.Exists(Path.Combine(directory, "data", "referralnetwork.db")), "nothing was migrated or bootstrapped");

        var key = ApiKeySecrets.NewKey();
        environment["Bootstrap__NetworkAdminKey"] = key;
        await using var api = await ApiProcess.StartAsync(environment);
        using var client = new HttpClient { BaseAddress = api.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task In_development_keys_are_generated_outside_the_data_folder_and_seed_demo_prints_keys_that_work()
    {
        // No log key either (the test processes get one by default): the transparency log's development key must land in dev-keys/ too.
        var development = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development", ["Audit__LogSigningKey"] = "" };
        string output, directory;
        await using (var seed = await ApiProcess.StartAsync(development, "seed-demo"))
        {
            Assert.True(await seed.WaitForExitAsync(TimeSpan.FromMinutes(1)) == 0, seed.Output);
            output = seed.Output;
            directory = seed.WorkingDirectory;
        }
        var keys = PrintedKey().Matches(output).Select(m => (Role: m.Groups["role"].Value, Key: m.Groups["key"].Value)).ToList();
        Assert.Equal(["auditor", "caseworker", "network_admin", "org_admin", "partner_system", "supervisor"], keys.Select(k => k.Role).Distinct().Order());

        await using var api = await ApiProcess.StartAsync(development, workingDirectory: directory);
        foreach (var (role, key) in keys)
        {
            using var client = new HttpClient { BaseAddress = api.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            Assert.True((await client.GetAsync("/api/v1/me")).StatusCode == HttpStatusCode.OK, $"the printed {role} key");
        }
        Assert.Contains("DEVELOPMENT key", api.Output);
        Assert.Empty(KeyFiles(Path.Combine(directory, "data")));
        Assert.Equal(["dev-checkpoint-signing-key.pem", "dev-log-signing-key.pem", "dev-master-key.b64"],
            Directory.GetFiles(Path.Combine(directory, "dev-keys")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task In_development_a_key_folder_inside_the_data_folder_is_refused()
    {
        var (exitCode, output, directory) = await ServeAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development", ["Development__KeysDirectory"] = "data/keys",
        });
        Assert.True(exitCode != 0, output);
        Assert.Contains("lies inside Storage:DataDirectory", output);
        Assert.False(Directory.Exists(Path.Combine(directory, "data", "keys")));
    }
}

/// <summary>The entropy estimate behind <see cref="BootstrapKeyPolicy"/>.</summary>
public sealed class BootstrapKeyPolicyTests
{
    [Theory]
    [InlineData("rn_walkthrough_admin_key_0123456789")]
    [InlineData("rn_WALKTHROUGH_ADMIN_KEY_0123456789")]
    [InlineData("rn_thisisaverylongpassphrasethatiswrittenbyhand")]
    [InlineData("rn_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("rn_0123456789012345678901234567890123456789")]
    [InlineData("rn_abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq")]
    [InlineData("rn_Xy7Qp2Xy7Qp2Xy7Qp2Xy7Qp2Xy7Qp2Xy7Qp2")]
    [InlineData("rn_change_me_change_me_change_me_now")]
    [InlineData("rn_EXAMPLE-not-a-key-generate-43-url-safe-chars")]
    public void Guessable_keys_are_refused(string key)
    {
        Assert.True(BootstrapKeyPolicy.EstimateBits(key) < BootstrapKeyPolicy.RequiredBits, $"{key}: {BootstrapKeyPolicy.EstimateBits(key):0} bits");
        Assert.Contains("Bootstrap:NetworkAdminKey", BootstrapKeyPolicy.Problem(key));
    }

    [Fact]
    public void Generated_keys_pass_with_a_wide_margin()
    {
        var lowest = Enumerable.Range(0, 20_000).Select(_ => BootstrapKeyPolicy.EstimateBits(ApiKeySecrets.NewKey())).Min();
        Assert.True(lowest >= BootstrapKeyPolicy.RequiredBits + 10, $"lowest estimate {lowest:0}");
        var hex = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Assert.Null(BootstrapKeyPolicy.Problem("rn_" + hex));
        Assert.Null(BootstrapKeyPolicy.Problem(null));
    }
}
