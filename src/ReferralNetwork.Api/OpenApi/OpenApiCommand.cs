using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.Swagger;

namespace ReferralNetwork.Api.OpenApi;

/// <summary>
/// <c>openapi [file]</c>: writes the document the running API serves, without touching a database. This is how
/// openapi/referral-network.v1.json is regenerated; a test fails when the committed file differs from the served one.
/// </summary>
public static class OpenApiCommand
{
    public static async Task WriteAsync(WebApplication app, string path)
    {
        var provider = app.Services.GetRequiredService<ISwaggerProvider>();
        var document = provider.GetSwagger(OpenApiSetup.DocumentName);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await using var file = File.Create(path);
        await document.SerializeAsJsonAsync(file, OpenApiSpecVersion.OpenApi3_0);
        Console.WriteLine($"Wrote {path}");
    }
}
