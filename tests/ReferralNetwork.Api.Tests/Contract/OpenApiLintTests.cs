using System.Diagnostics;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Contract;

/// <summary>The committed contract passes an OpenAPI linter (Redocly's recommended rules) with zero errors.</summary>
public sealed class OpenApiLintTests
{
    [Fact]
    public async Task Committed_openapi_file_lints_without_errors()
    {
        var file = Path.Combine(Repository.Root, "openapi", "referral-network.v1.json");
        var info = new ProcessStartInfo("npx") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var argument in new[] { "--yes", "@redocly/cli@2.77.0", "lint", file, "--format=json" }) info.ArgumentList.Add(argument);
        info.Environment["REDOCLY_TELEMETRY"] = "off";
        info.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("npx (Node.js) is needed to lint the contract.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);

        var json = await output;
        var start = json.IndexOf('{');
        Assert.True(start >= 0, $"the linter printed no report (exit {process.ExitCode}): {await errors}");
        var report = JsonNode.Parse(json[start..])!;
        var problems = report["problems"]!.AsArray();
        var failures = problems.Where(p => p!["severity"]!.GetValue<string>() == "error")
            .Select(p => $"{p!["ruleId"]}: {p["message"]}").ToList();
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.Equal(0, process.ExitCode);
    }
}
