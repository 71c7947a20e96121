using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace ReferralNetwork.Browser.Tests;

/// <summary>Issue 17: a worker attaches a document to a referral and downloads it again, in the browser.</summary>
[Collection(nameof(BrowserCollection))]
public sealed class DocumentsInBrowserTests(BrowserFixture fixture)
{
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=");

    [Fact]
    public async Task The_receiver_attaches_a_scan_sees_it_listed_downloads_the_same_bytes_and_a_text_named_pdf_is_refused()
    {
        var referral = await fixture.SubmitAsync("Leila", "Dokumenta" + string.Concat(Guid.NewGuid().ToString("N").Where(char.IsLetter).Take(5)));
        var id = referral["id"]!.GetValue<Guid>();
        var page = await fixture.SignedInPageAsync(fixture.NgoKey);
        await page.GotoAsync(new Uri(fixture.Api.BaseAddress, $"/app/#/referral/{id}").ToString());
        await page.WaitForSelectorAsync("#documents-empty");

        const string name = "saglasnost-Љиљана.png";
        await page.SetInputFilesAsync("#attach-form input[type=file]", new FilePayload { Name = name, MimeType = "image/png", Buffer = Png });
        await page.ClickAsync("#attach-form button[type=submit]");
        var row = page.Locator("#documents li.document");
        await row.WaitForAsync();
        Assert.Contains(name, await row.InnerTextAsync());
        Assert.Contains("image/png", await row.InnerTextAsync());

        var download = await page.RunAndWaitForDownloadAsync(() => row.Locator("button[data-attachment]").ClickAsync());
        Assert.Equal(name, download.SuggestedFilename);
        await using (var stream = await download.CreateReadStreamAsync())
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.Equal(Png, copy.ToArray());
        }

        // Judged by the bytes: a text file that calls itself a PDF is refused, and nothing is added.
        await page.SetInputFilesAsync("#attach-form input[type=file]",
            new FilePayload { Name = "letter.pdf", MimeType = "application/pdf", Buffer = "not a pdf at all"u8.ToArray() });
        await page.ClickAsync("#attach-form button[type=submit]");
        await page.WaitForSelectorAsync("#status[data-kind=error]");
        Assert.Contains("PDF, JPEG", await page.Locator("#status").InnerTextAsync());

        using var ngo = fixture.Client(fixture.NgoKey);
        var listed = await ngo.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{id}/attachments");
        var only = Assert.Single(listed!["items"]!.AsArray())!;
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Png)), only["sha256"]!.GetValue<string>(), ignoreCase: true);
        // The referrer sees it too; the page tells both that every download is recorded.
        var referrer = await fixture.SignedInPageAsync(fixture.CswKey);
        await referrer.GotoAsync(new Uri(fixture.Api.BaseAddress, $"/app/#/referral/{id}").ToString());
        await referrer.Locator("#documents li.document").WaitForAsync();
        await page.Context.CloseAsync();
        await referrer.Context.CloseAsync();
    }
}
