namespace ReferralNetwork.Application.Features.Attachments;

/// <summary>
/// The three kinds of document the network takes, recognised by their first bytes (magic numbers), never by the name or
/// the declared type: a script renamed <c>scan.pdf</c> is not a PDF. A declared type must agree with the bytes
/// (<c>application/octet-stream</c>, or none in a multipart part, says "judge it yourself"): a PNG sent as
/// <c>application/pdf</c> is refused rather than relabelled, because a sender that mislabels a file has usually picked
/// the wrong file.
/// </summary>
public static class AttachmentTypes
{
    public const string Pdf = "application/pdf", Jpeg = "image/jpeg", Png = "image/png", Unlabelled = "application/octet-stream";

    public static readonly IReadOnlyList<string> Accepted = [Pdf, Jpeg, Png];

    private static readonly (string Type, byte[] Magic)[] Signatures =
    [
        (Pdf, "%PDF-"u8.ToArray()),
        (Jpeg, [0xFF, 0xD8, 0xFF]),
        (Png, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
    ];

    /// <summary>The type the first bytes announce, or null when they are none of the three.</summary>
    public static string? Sniff(ReadOnlySpan<byte> head)
    {
        foreach (var (type, magic) in Signatures)
            if (head.StartsWith(magic)) return type;
        return null;
    }

    /// <summary>The media type without parameters, lowercased; null or empty when none was declared.</summary>
    public static string? Normalise(string? declared) =>
        declared?.Split(';', 2)[0].Trim().ToLowerInvariant() is { Length: > 0 } type ? type : null;

    /// <summary>Whether the declared type leaves the judgement to the bytes or names the sniffed type.</summary>
    public static bool Agrees(string? declared, string sniffed) =>
        Normalise(declared) is null or Unlabelled || Normalise(declared) == sniffed
        // image/jpg and image/pjpeg are what some scanners and old browsers call a JPEG.
        || (sniffed == Jpeg && Normalise(declared) is "image/jpg" or "image/pjpeg");
}
