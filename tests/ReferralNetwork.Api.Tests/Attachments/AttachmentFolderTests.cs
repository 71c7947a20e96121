using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.People;

namespace ReferralNetwork.Api.Tests.Attachments;

/// <summary>
/// <c>Attachments:Folder</c>: the sealed chunks go to one file per attachment there, not to <c>attachment_chunks</c>.
/// The files hold ciphertext only; a refused upload leaves no file; erasure deletes them.
/// </summary>
public sealed class AttachmentFolderTests(AttachmentFolderFixture fixture) : IClassFixture<AttachmentFolderFixture>
{
    private readonly TestNetwork _network = new(fixture);

    [Fact]
    public async Task Documents_in_a_folder_round_trip_hold_only_ciphertext_and_go_with_the_persons_erasure()
    {
        var referrer = await _network.OrganisationAsync("youth_office");
        var receiver = await _network.OrganisationAsync("ngo");
        var referral = await _network.SubmitAsync(referrer, receiver);
        var marker = "secret-scan-5521 Мирјана Петровић";
        var content = AttachmentsApi.Pdf(140_000, marker);
        var attachment = await referrer.Caseworker.UploadAsync(referral.Id(), content, fileName: "Petrović saglasnost.pdf");

        var file = Assert.Single(Directory.GetFiles(fixture.Folder), f => Path.GetFileName(f).StartsWith(attachment.Id().ToString("D"), StringComparison.Ordinal));
        var stored = await File.ReadAllBytesAsync(file);
        Assert.Equal(140_000 + 3 * 16, stored.Length); // three chunks, each with its tag
        foreach (var needle in new[] { "secret-scan-5521", "Петровић", "Petrović", "%PDF-" })
            Assert.True(stored.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) < 0, $"'{needle}' is in the folder in clear");
        await using (var connection = await fixture.OpenAsync())
        {
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attachment_chunks"));
            Assert.Equal("folder", await connection.ExecuteScalarAsync<string>("SELECT storage FROM attachments WHERE id = @Id", new { Id = attachment.Id() }));
        }

        var download = await receiver.Caseworker.GetAsync($"/api/v1/referrals/{referral.Id()}/attachments/{attachment.Id()}");
        await TestNetwork.Expect(download, HttpStatusCode.OK);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await download.Content.ReadAsByteArrayAsync()));

        // A refused upload (over the cap midway) leaves no file behind.
        var files = Directory.GetFiles(fixture.Folder).Length;
        using (var over = AttachmentsApi.Multipart(referral.Id(), AttachmentsApi.Pdf(AttachmentTests.MaxBytes + 1), "big.pdf", "application/pdf"))
            await PeopleApi.ProblemAsync(await referrer.Caseworker.SendAsync(over), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(files, Directory.GetFiles(fixture.Folder).Length);

        await TestNetwork.Expect(await fixture.Admin().PostAsJsonAsync($"/api/v1/persons/{referral["person"]!.Id()}/erasure", new { reason = "Request of the data subject (art. 17)" }),
            HttpStatusCode.OK);
        Assert.False(File.Exists(file));
        await PeopleApi.ProblemAsync(await receiver.Caseworker.GetAsync($"/api/v1/referrals/{referral.Id()}/attachments/{attachment.Id()}"), HttpStatusCode.Gone);
    }
}

public sealed class AttachmentFolderFixture : SqliteApiFixture
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("rn-attachments-").FullName;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Attachments:MaxBytes"] = $"{AttachmentTests.MaxBytes}", ["Attachments:Folder"] = Folder,
    };
}
