using Dapper;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Features.Attachments;

/// <summary>Settings under <c>Attachments:</c>.</summary>
public sealed class AttachmentOptions
{
    /// <summary>The largest document accepted, in bytes (10 MiB); one byte more is 413.</summary>
    public long MaxBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// A folder for the sealed chunks (one file of ciphertext per attachment), e.g. on a volume sized for documents.
    /// Unset: the chunks are rows of <c>attachment_chunks</c>, in the database and its backups.
    /// </summary>
    public string? Folder { get; set; }
}

/// <summary>Where the sealed chunks of attachments are kept. Everything given to or returned by it is ciphertext.</summary>
public interface IAttachmentContent
{
    /// <summary>The <c>attachments.storage</c> code of this store.</summary>
    string Storage { get; }

    /// <summary>Appends chunk <paramref name="index"/> (chunks come in order, from 0).</summary>
    Task WriteChunkAsync(Guid attachmentId, int index, byte[] sealedChunk, CancellationToken ct);

    Task<byte[]?> ReadChunkAsync(Guid attachmentId, int index, CancellationToken ct);

    /// <summary>Removes the chunks (an upload refused midway, an erasure).</summary>
    Task DeleteAsync(IReadOnlyList<Guid> attachmentIds, CancellationToken ct);
}

/// <summary>The chunks as rows of <c>attachment_chunks</c>, written in the command's transaction.</summary>
public sealed class DatabaseAttachmentContent(IDbSession session) : IAttachmentContent
{
    public const string Code = "database";
    public string Storage => Code;

    public async Task WriteChunkAsync(Guid attachmentId, int index, byte[] sealedChunk, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO attachment_chunks (attachment_id, chunk_index, sealed) VALUES (@Id, @Index, @Sealed)",
            new { Id = attachmentId, Index = index, Sealed = sealedChunk }, session.Transaction, cancellationToken: ct));
    }

    public async Task<byte[]?> ReadChunkAsync(Guid attachmentId, int index, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<byte[]?>(new CommandDefinition(
            "SELECT sealed FROM attachment_chunks WHERE attachment_id = @Id AND chunk_index = @Index",
            new { Id = attachmentId, Index = index }, session.Transaction, cancellationToken: ct));
    }

    public async Task DeleteAsync(IReadOnlyList<Guid> attachmentIds, CancellationToken ct)
    {
        if (attachmentIds.Count == 0) return;
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM attachment_chunks WHERE {session.Dialect.InList("attachment_id", "@Ids")}",
            new { Ids = session.Dialect.IdList(attachmentIds) }, session.Transaction, cancellationToken: ct));
    }
}

/// <summary>
/// The chunks in <c>Attachments:Folder</c>, one file per attachment named by its id, the sealed chunks back to back:
/// every chunk but the last has the same sealed length, so chunk i starts at i × (64 KiB + 16). The file holds only
/// ciphertext. It is written before the transaction commits: a commit that then fails leaves a file no row points to —
/// still sealed under the person's key, so shredded with it — which the refusing handler removes when it can.
/// </summary>
public sealed class FolderAttachmentContent(string folder) : IAttachmentContent
{
    public const string Code = "folder";
    private const int SealedChunk = AttachmentCipher.ChunkSize + AttachmentCipher.TagSize;
    public string Storage => Code;

    private string PathOf(Guid attachmentId) => Path.Combine(folder, attachmentId.ToString("D") + ".sealed");

    public async Task WriteChunkAsync(Guid attachmentId, int index, byte[] sealedChunk, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        await using var file = new FileStream(PathOf(attachmentId), index == 0 ? FileMode.CreateNew : FileMode.Append, FileAccess.Write, FileShare.None, 4096, useAsync: true);
        if (file.Position != (long)index * SealedChunk) throw new InvalidOperationException($"Attachment {attachmentId}: chunk {index} written out of order.");
        await file.WriteAsync(sealedChunk, ct);
    }

    public async Task<byte[]?> ReadChunkAsync(Guid attachmentId, int index, CancellationToken ct)
    {
        var path = PathOf(attachmentId);
        if (!File.Exists(path)) return null;
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
        var start = (long)index * SealedChunk;
        if (start >= file.Length) return null;
        file.Position = start;
        var chunk = new byte[(int)Math.Min(SealedChunk, file.Length - start)];
        await file.ReadExactlyAsync(chunk, ct);
        return chunk;
    }

    public Task DeleteAsync(IReadOnlyList<Guid> attachmentIds, CancellationToken ct)
    {
        foreach (var id in attachmentIds) File.Delete(PathOf(id));
        return Task.CompletedTask;
    }
}
