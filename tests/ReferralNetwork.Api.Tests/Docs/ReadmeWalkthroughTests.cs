using System.Diagnostics;
using System.Text.RegularExpressions;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Docs;

/// <summary>
/// The README's curl walkthrough, run verbatim (only the port differs) against the built API as a process started the way
/// the README's <c>dotnet run</c> starts it: in Development (src/ReferralNetwork.Api/Properties/launchSettings.json), with
/// no keys configured, so development keys are generated — into their own folder, never into the data folder.
/// </summary>
public sealed partial class ReadmeWalkthroughTests
{
    [GeneratedRegex(@"<!-- walkthrough:start -->\s*```bash\n(?<script>.*?)```\s*<!-- walkthrough:end -->", RegexOptions.Singleline)]
    private static partial Regex Walkthrough();

    [GeneratedRegex(@"Bootstrap__NetworkAdminKey=(?<key>rn_\S+)")]
    private static partial Regex BootstrapKey();

    [Fact]
    public async Task Readme_walkthrough_works_verbatim()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md"));
        var script = Walkthrough().Match(readme).Groups["script"].Value;
        Assert.False(string.IsNullOrWhiteSpace(script), "README.md has no walkthrough block.");
        var key = BootstrapKey().Match(readme).Groups["key"].Value;

        var launch = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "src", "ReferralNetwork.Api", "Properties", "launchSettings.json"));
        Assert.Contains("\"ASPNETCORE_ENVIRONMENT\": \"Development\"", launch);
        await using var api = await ApiProcess.StartAsync(new Dictionary<string, string>
        {
            ["Bootstrap__NetworkAdminKey"] = key,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
        });
        var info = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-eu");
        info.ArgumentList.Add("-o");
        info.ArgumentList.Add("pipefail");
        using var bash = Process.Start(info)!;
        await bash.StandardInput.WriteAsync(script.Replace("http://localhost:5000", api.BaseAddress.ToString().TrimEnd('/')));
        bash.StandardInput.Close();
        var output = await bash.StandardOutput.ReadToEndAsync();
        var errors = await bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();

        Assert.True(bash.ExitCode == 0, $"exit {bash.ExitCode}\n{output}\n{errors}\n{api.Output}");
        Assert.Contains("\"status\":\"requested\"", output);
        Assert.Contains("HTTP/1.1 200 OK", output);
        Assert.Contains("ETag: \"1\"", output);
        Assert.Contains("\"reason\":\"Needs advice before the asylum interview\"", output);
        Assert.Contains("\"initials\":\"Z.A.\"", output);
        Assert.Contains("\"status\":\"accepted\"", output);
        Assert.Contains("\"outcome\":\"service_provided\"", output);
        Assert.Contains("\ncompleted\n", output);
        Assert.Contains("\"action\":\"complete\"", output);

        // The development keys were generated beside the data folder, not in it.
        Assert.Equal(["referralnetwork.db"], Directory.GetFiles(Path.Combine(api.WorkingDirectory, "data"), "*", SearchOption.AllDirectories)
            .Select(Path.GetFileName).Where(f => !f!.StartsWith("referralnetwork.db-", StringComparison.Ordinal)));
        Assert.Equal(["dev-checkpoint-signing-key.pem", "dev-master-key.b64"],
            Directory.GetFiles(Path.Combine(api.WorkingDirectory, "dev-keys")).Select(Path.GetFileName).Order());
    }
}
