using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ReferralNetwork.Application.Features.Attachments;

/// <summary>
/// Chunked AEAD for a document (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár): the content is cut
/// into <see cref="ChunkSize"/> chunks, each sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the person's
/// data key and the attachment's id. The nonce is the chunk's index and a final-chunk flag, and the associated data
/// names the attachment, the index and the flag: chunks cannot be reordered, dropped, moved to another attachment, and
/// the content cannot be cut short (the last chunk read must say it is the last). Per-attachment keys make the counter
/// nonce safe — each (key, index) seals exactly once — and let upload and download work one chunk at a time, never the
/// whole file in memory. Sealed chunk = ciphertext ‖ tag(16). Lives beside the feature because it is plain BCL crypto
/// with no configuration; the data key comes from <see cref="Persons.PersonStore.DataKeyOf"/>.
/// </summary>
public sealed class AttachmentCipher : IDisposable
{
    public const int ChunkSize = 64 * 1024;
    public const int TagSize = 16;
    private readonly AesGcm _aes;
    private readonly Guid _attachmentId;

    public AttachmentCipher(byte[] dataKey, Guid attachmentId)
    {
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, dataKey, 32, salt: [], info: Encoding.UTF8.GetBytes($"attachment:{attachmentId:D}:content"));
        _aes = new AesGcm(key, TagSize);
        CryptographicOperations.ZeroMemory(key);
        _attachmentId = attachmentId;
    }

    /// <summary>The context the sealed file name is bound to (<see cref="Abstractions.IPersonalDataProtector.Seal"/>).</summary>
    public static string FileNameContext(Guid attachmentId) => $"attachment:{attachmentId:D}:file-name";

    public byte[] Seal(int index, ReadOnlySpan<byte> plaintext, bool final)
    {
        var output = new byte[plaintext.Length + TagSize];
        Span<byte> nonce = stackalloc byte[12];
        Nonce(index, final, nonce);
        _aes.Encrypt(nonce, plaintext, output.AsSpan(0, plaintext.Length), output.AsSpan(plaintext.Length), Associated(index, final));
        return output;
    }

    /// <summary>Opens chunk <paramref name="index"/>; throws <see cref="CryptographicException"/> when it was altered, moved, or is not (or is) the final one.</summary>
    public byte[] Open(int index, ReadOnlySpan<byte> sealedChunk, bool final)
    {
        if (sealedChunk.Length < TagSize) throw new CryptographicException("A sealed chunk is truncated.");
        var plaintext = new byte[sealedChunk.Length - TagSize];
        Span<byte> nonce = stackalloc byte[12];
        Nonce(index, final, nonce);
        _aes.Decrypt(nonce, sealedChunk[..plaintext.Length], sealedChunk[plaintext.Length..], plaintext, Associated(index, final));
        return plaintext;
    }

    private static void Nonce(int index, bool final, Span<byte> nonce)
    {
        nonce.Clear();
        BinaryPrimitives.WriteInt32BigEndian(nonce[7..11], index);
        nonce[11] = final ? (byte)1 : (byte)0;
    }

    private byte[] Associated(int index, bool final) => Encoding.UTF8.GetBytes($"attachment:{_attachmentId:D}:chunk:{index}:{(final ? "final" : "more")}");

    public void Dispose() => _aes.Dispose();
}
