namespace ReferralNetwork.Api.OpenApi;

/// <summary>
/// <c>openapi [file]</c>: starts the API on a loopback port without touching a database, fetches the document it
/// serves and writes it. This is how openapi/referral-network.v1.json is regenerated; a test fails when the committed
/// file differs from the served one.
/// </summary>
public static class OpenApiCommand
{
    public static async Task WriteAsync(WebApplication app, string path)
    {
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            var json = await client.GetStringAsync($"/swagger/{OpenApiSetup.DocumentName}/swagger.json");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, json.ReplaceLineEndings("\n") + (json.EndsWith('\n') ? "" : "\n"));
            Console.WriteLine($"Wrote {path}");
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
