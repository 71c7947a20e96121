using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Attachments;

/// <summary>Documents as a partner sends them: raw bodies with Content-Disposition, or multipart.</summary>
public static class AttachmentsApi
{
    /// <summary>A "PDF" of <paramref name="size"/> bytes: the magic number, then a marker, then filler.</summary>
    public static byte[] Pdf(int size, string marker = "") => Document("%PDF-1.7\n"u8.ToArray(), size, marker);

    public static byte[] Png(int size) => Document([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], size, "");

    public static byte[] Jpeg(int size) => Document([0xFF, 0xD8, 0xFF, 0xE0], size, "");

    private static byte[] Document(byte[] magic, int size, string marker)
    {
        var bytes = new byte[size];
        // Filler that differs per position, so a chunk moved or dropped changes the hash.
        for (var i = 0; i < size; i++) bytes[i] = (byte)(i * 31 % 251);
        var head = magic.Concat(Encoding.UTF8.GetBytes(marker)).ToArray();
        head.AsSpan(0, Math.Min(head.Length, size)).CopyTo(bytes);
        return bytes;
    }

    public static HttpRequestMessage Raw(Guid referralId, byte[] content, string contentType = "application/pdf", string? disposition = "attachment; filename=\"scan.pdf\"")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{referralId}/attachments") { Content = new ByteArrayContent(content) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (disposition is not null) request.Content.Headers.TryAddWithoutValidation("Content-Disposition", disposition);
        return request;
    }

    public static HttpRequestMessage Multipart(Guid referralId, byte[] content, string fileName, string? partType)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        if (partType is not null) file.Headers.ContentType = MediaTypeHeaderValue.Parse(partType);
        form.Add(new StringContent("consent form"), "description");
        form.Add(file, "file", fileName);
        return new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{referralId}/attachments") { Content = form };
    }

    public static async Task<JsonObject> UploadAsync(this HttpClient client, Guid referralId, byte[] content, string contentType = "application/pdf",
        string fileName = "scan.pdf")
    {
        using var request = Raw(referralId, content, contentType, $"attachment; filename=\"{fileName}\"");
        var response = await client.SendAsync(request);
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    /// <summary>A stream that will not say its length, so HttpClient sends it chunked without Content-Length.</summary>
    public sealed class UnknownLengthStream(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
