using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Application.Features.Referrals;

namespace ReferralNetwork.Application.Features.Attachments;

/// <summary>
/// Writes and reads attachments: sniffs the type, caps the size while the content streams in, seals it chunk by chunk
/// (<see cref="AttachmentCipher"/>) into the configured <see cref="IAttachmentContent"/>, and opens it again chunk by
/// chunk. Only the referrer and the receiver see a referral's documents: an observer is told it may not (403, as for
/// notes), any other organisation that the referral does not exist (404).
/// </summary>
public sealed class AttachmentStore(IDbSession session, IPersonalDataProtector protector, PersonStore persons, AttachmentContents contents, AttachmentOptions options)
{
    /// <summary>The referral, when the organisation is its referrer or receiver; 403 for an observer, 404 for anyone else.</summary>
    public async Task<AttachmentReferral> FindReferralAsync(Guid referralId, Guid organisationId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var referral = await connection.QuerySingleOrDefaultAsync<AttachmentReferral>(new CommandDefinition($"""
            SELECT r.id AS Id, r.person_id AS PersonId, r.referrer_organisation_id AS ReferrerOrganisationId, r.receiver_organisation_id AS ReceiverOrganisationId
            FROM referrals r WHERE r.id = @Id AND {ReferralRow.VisibleTo}
            """, new { Id = referralId, Org = organisationId }, session.Transaction, cancellationToken: ct)) ?? throw new NotFoundException("The referral");
        if (referral.ReferrerOrganisationId != organisationId && referral.ReceiverOrganisationId != organisationId)
            throw new ForbiddenException("Observers see a referral and its timeline, not its documents; only the referrer and the receiver do.");
        return referral;
    }

    /// <summary>
    /// Streams <paramref name="content"/> into sealed chunks and writes the row. Refuses (nothing kept) content that is
    /// not a PDF, JPEG or PNG by its bytes or disagrees with <paramref name="declaredType"/> (415), and content longer
    /// than <c>Attachments:MaxBytes</c> (413) — counted as it is read, so a missing or false Content-Length changes nothing.
    /// </summary>
    public async Task<AttachmentRow> WriteAsync(AttachmentReferral referral, PersonRow person, Principal uploader, string fileName, string? declaredType,
        Stream content, DateTimeOffset now, CancellationToken ct)
    {
        var key = persons.DataKeyOf(person)
            ?? throw new RuleViolationException("person.erased", "The person's data was erased; no document about them can be stored.");
        var id = Guid.CreateVersion7();
        var store = contents.ForWriting;
        try
        {
            var (size, sha256, chunks, type) = await SealAsync(id, key, declaredType, content, store, ct);
            var row = new AttachmentRow
            {
                Id = id, ReferralId = referral.Id, PersonId = person.Id, OrganisationId = uploader.OrganisationId,
                FileNameSealed = protector.Seal(key, fileName, AttachmentCipher.FileNameContext(id)), ContentType = type, SizeBytes = size,
                Sha256 = sha256, ChunkCount = chunks, Storage = store.Storage, CreatedAt = now,
            };
            var connection = await session.ConnectionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO attachments (id, referral_id, person_id, organisation_id, principal_id, file_name_sealed, content_type, size_bytes, sha256,
                                         chunk_count, storage, created_at)
                VALUES (@Id, @ReferralId, @PersonId, @OrganisationId, @PrincipalId, @FileNameSealed, @ContentType, @SizeBytes, @Sha256,
                        @ChunkCount, @Storage, @CreatedAt)
                """, new
            {
                row.Id, row.ReferralId, row.PersonId, row.OrganisationId, PrincipalId = uploader.Id, row.FileNameSealed, row.ContentType, row.SizeBytes,
                row.Sha256, row.ChunkCount, row.Storage, row.CreatedAt,
            }, session.Transaction, cancellationToken: ct));
            return row;
        }
        catch
        {
            // The database's chunks roll back with the transaction; a folder's file does not.
            if (store is FolderAttachmentContent) await store.DeleteAsync([id], CancellationToken.None);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private async Task<(long Size, string Sha256, int Chunks, string Type)> SealAsync(Guid id, byte[] key, string? declaredType, Stream content,
        IAttachmentContent store, CancellationToken ct)
    {
        using var cipher = new AttachmentCipher(key, id);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Two buffers: a chunk is sealed only once the next one has begun (or the content ended), so the last chunk is
        // known to be the last when it is sealed.
        var current = new byte[AttachmentCipher.ChunkSize];
        var next = new byte[AttachmentCipher.ChunkSize];
        var filled = await FillAsync(content, current, ct);
        var type = AttachmentTypes.Sniff(current.AsSpan(0, filled));
        if (type is null)
            throw new UnsupportedContentException("Only PDF, JPEG and PNG documents are accepted, and this content is none of them (judged by its first bytes, not by its name or declared type).");
        if (!AttachmentTypes.Agrees(declaredType, type))
            throw new UnsupportedContentException($"The content is {type} by its bytes, but was declared as {AttachmentTypes.Normalise(declaredType)}; send it with its own type (or application/octet-stream).");
        long size = filled;
        var index = 0;
        while (true)
        {
            EnsureWithinLimit(size);
            var more = filled == current.Length ? await FillAsync(content, next, ct) : 0;
            hash.AppendData(current, 0, filled);
            await store.WriteChunkAsync(id, index, cipher.Seal(index, current.AsSpan(0, filled), final: more == 0), ct);
            if (more == 0) break;
            index++;
            size += more;
            (current, next, filled) = (next, current, more);
        }
        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()), index + 1, type);
    }

    private void EnsureWithinLimit(long size)
    {
        if (size > options.MaxBytes)
            throw new PayloadTooLargeException($"A document may be at most {options.MaxBytes} bytes.");
    }

    /// <summary>Reads until the buffer is full or the content ends; never more than the buffer, so the cap is met one chunk late at most.</summary>
    private static async Task<int> FillAsync(Stream content, byte[] buffer, CancellationToken ct)
    {
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await content.ReadAsync(buffer.AsMemory(filled), ct)) > 0) filled += read;
        return filled;
    }

    public async Task<IReadOnlyList<AttachmentRow>> ListAsync(Guid referralId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return (await connection.QueryAsync<AttachmentRow>(new CommandDefinition(
            $"SELECT {AttachmentRow.Columns} FROM attachments a WHERE a.referral_id = @Id ORDER BY a.created_at, a.id",
            new { Id = referralId }, session.Transaction, cancellationToken: ct))).ToList();
    }

    public async Task<AttachmentRow> FindAsync(Guid referralId, Guid attachmentId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<AttachmentRow>(new CommandDefinition(
            $"SELECT {AttachmentRow.Columns} FROM attachments a WHERE a.id = @Id AND a.referral_id = @ReferralId",
            new { Id = attachmentId, ReferralId = referralId }, session.Transaction, cancellationToken: ct)) ?? throw new NotFoundException("The attachment");
    }

    /// <summary>The file name, or null once the person's key is gone.</summary>
    public string? FileNameOf(AttachmentRow row, byte[]? key) =>
        key is null || row.FileNameSealed is null ? null : protector.Open(key, row.FileNameSealed, AttachmentCipher.FileNameContext(row.Id));

    /// <summary>
    /// The content, opened one chunk at a time as the caller pulls it. A chunk that is missing, altered or out of place,
    /// or content that stops before its final chunk, throws <see cref="CryptographicException"/>: the download breaks
    /// off instead of handing out something other than what was uploaded.
    /// </summary>
    public async IAsyncEnumerable<byte[]> OpenAsync(AttachmentRow row, byte[] key, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var store = contents.ForReading(row.Storage);
        using var cipher = new AttachmentCipher(key, row.Id);
        for (var index = 0; index < row.ChunkCount; index++)
        {
            var sealedChunk = await store.ReadChunkAsync(row.Id, index, ct)
                ?? throw new CryptographicException($"Attachment {row.Id}: chunk {index} is missing.");
            yield return cipher.Open(index, sealedChunk, final: index == row.ChunkCount - 1);
        }
    }

    /// <summary>
    /// Erasure (called by <see cref="Persons.ErasePersonHandler"/>): the chunks are deleted and the sealed file names
    /// cleared; the rows stay, with type, size and hash, because the audit chain holds exactly these and verify compares.
    /// Deleting is hygiene — with the data key gone nothing sealed could be opened anyway.
    /// </summary>
    public async Task EraseForPersonAsync(Guid personId, DateTimeOffset now, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = (await connection.QueryAsync<(Guid Id, string Storage)>(new CommandDefinition(
            "SELECT id, storage FROM attachments WHERE person_id = @Id AND erased_at IS NULL", new { Id = personId }, session.Transaction, cancellationToken: ct))).ToList();
        if (rows.Count == 0) return;
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE attachments SET file_name_sealed = NULL, erased_at = @Now WHERE person_id = @Id AND erased_at IS NULL",
            new { Id = personId, Now = now }, session.Transaction, cancellationToken: ct));
        foreach (var group in rows.GroupBy(r => r.Storage))
            await contents.ForReading(group.Key).DeleteAsync(group.Select(r => r.Id).ToList(), ct);
    }
}

/// <summary>The store new attachments go to (<c>Attachments:Folder</c> set: the folder), and the store of each existing row.</summary>
public sealed class AttachmentContents(DatabaseAttachmentContent database, AttachmentOptions options)
{
    private readonly FolderAttachmentContent? _folder = string.IsNullOrWhiteSpace(options.Folder) ? null : new FolderAttachmentContent(options.Folder);

    public IAttachmentContent ForWriting => _folder ?? (IAttachmentContent)database;

    public IAttachmentContent ForReading(string storage) => storage switch
    {
        DatabaseAttachmentContent.Code => database,
        FolderAttachmentContent.Code => _folder ?? throw new InvalidOperationException("Attachments are stored in a folder, but Attachments:Folder is not configured."),
        _ => throw new InvalidOperationException($"Unknown attachment storage '{storage}'."),
    };
}
