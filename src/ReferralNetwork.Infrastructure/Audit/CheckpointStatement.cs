using System.Globalization;
using System.Text;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>
/// What a checkpoint's signature covers: a short UTF-8 text, one field per line, each line ending in "\n" —
/// in the spirit of the signed tree heads of transparency logs, and simple to rebuild in any language:
/// <code>
/// referral-network audit checkpoint v1
/// sequence 7
/// tree-size 1204
/// event-count 5310
/// root 3f1c…(64 hex)
/// timestamp 2026-11-02T08:05:00.000000Z
/// key-id 9ad0…(64 hex)
/// previous 6 77e2…(64 hex)        ← "previous 0 000…(64 zeros)" for the first checkpoint
/// </code>
/// The signature is ECDSA P-256 over SHA-256 of these bytes, DER-encoded (the RFC 3279 Ecdsa-Sig-Value, as
/// <c>openssl dgst -sha256 -verify key.pem -signature sig.der</c> expects), base64.
/// </summary>
public sealed record CheckpointStatement(
    long Sequence, long TreeSize, long EventCount, string RootHash, DateTimeOffset CreatedAt, string KeyId, long? PreviousSequence, string? PreviousRootHash)
{
    public const string Header = "referral-network audit checkpoint v1";

    public static CheckpointStatement Of(CheckpointRow row) =>
        new(row.Sequence, row.TreeSize, row.EventCount, row.RootHash, row.CreatedAt, row.KeyId, row.PreviousSequence, row.PreviousRootHash);

    public byte[] ToBytes() => Encoding.UTF8.GetBytes(ToText());

    public string ToText() => string.Create(CultureInfo.InvariantCulture, $"""
        {Header}
        sequence {Sequence}
        tree-size {TreeSize}
        event-count {EventCount}
        root {RootHash}
        timestamp {AuditChain.FormatTime(CreatedAt)}
        key-id {KeyId}
        previous {PreviousSequence ?? 0} {PreviousRootHash ?? AuditChain.Genesis}

        """).ReplaceLineEndings("\n");
}
