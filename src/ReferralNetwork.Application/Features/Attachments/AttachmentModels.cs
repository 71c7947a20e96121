namespace ReferralNetwork.Application.Features.Attachments;

/// <summary>
/// A document of a referral. <see cref="FileName"/> is null once the person was erased (it was sealed with their key);
/// <see cref="Erased"/> then says the content is gone too.
/// </summary>
public sealed record AttachmentView(Guid Id, Guid ReferralId, string? FileName, string ContentType, long Size, string Sha256, DateTimeOffset CreatedAt,
    Guid OrganisationId, bool Erased);

public sealed record AttachmentList(IReadOnlyList<AttachmentView> Items);

/// <summary>An attachment as stored.</summary>
public sealed record AttachmentRow
{
    public Guid Id { get; init; }
    public Guid ReferralId { get; init; }
    public Guid PersonId { get; init; }
    public Guid OrganisationId { get; init; }
    public byte[]? FileNameSealed { get; init; }
    public string ContentType { get; init; } = "";
    public long SizeBytes { get; init; }
    public string Sha256 { get; init; } = "";
    public int ChunkCount { get; init; }
    public string Storage { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ErasedAt { get; init; }

    public const string Columns = """
        a.id, a.referral_id AS ReferralId, a.person_id AS PersonId, a.organisation_id AS OrganisationId, a.file_name_sealed AS FileNameSealed,
        a.content_type AS ContentType, a.size_bytes AS SizeBytes, a.sha256, a.chunk_count AS ChunkCount, a.storage, a.created_at AS CreatedAt,
        a.erased_at AS ErasedAt
        """;

    public AttachmentView ToView(string? fileName) =>
        new(Id, ReferralId, fileName, ContentType, SizeBytes, Sha256, CreatedAt, OrganisationId, ErasedAt is not null);
}

/// <summary>The referral an attachment request is about, as the caller's organisation takes part in it.</summary>
public sealed record AttachmentReferral(Guid Id, Guid PersonId, Guid ReferrerOrganisationId, Guid ReceiverOrganisationId);

/// <summary>A document about to be downloaded: its row and the content, opened chunk by chunk as it is sent.</summary>
public sealed record AttachmentDownload(AttachmentView Attachment, IAsyncEnumerable<byte[]> Content);
