using System.Buffers.Binary;
using System.Text.Json;
using FluentValidation;
using FluentValidation.Results;
using ReferralNetwork.Application.Features.Common;

namespace ReferralNetwork.Application.Features.Audit;

/// <summary>Who acted, pseudonymously: ids and the role, never a name.</summary>
public sealed record AuditActorView(Guid? PrincipalId, Guid? OrganisationId, string Role);

/// <summary>An audit event as auditors read it. <c>data</c> holds ids, codes, counts and times only (DESIGN §6).</summary>
public sealed record AuditEventView(long GlobalSeq, string StreamId, long Seq, string Type, DateTimeOffset OccurredAt, AuditActorView Actor, JsonElement Data,
    string PrevHash, string Hash)
{
    /// <summary>The event's index in the transparency log; null until the next checkpoint puts it there (only the
    /// referral events list fills it).</summary>
    public long? LogIndex { get; init; }

    /// <summary>
    /// The person who acted (issue 16): the actor's principalId when it is a user's id, null for an API key or the system.
    /// Outside <c>actor</c>, which is hashed exactly as stored; the user's name is never here (auditors see ids only).
    /// </summary>
    public Guid? UserId { get; init; }
}

/// <summary>The columns of <c>audit_events</c>, as the auditor queries select them.</summary>
public sealed record AuditEventRow
{
    public long GlobalSeq { get; init; }
    public string StreamId { get; init; } = "";
    public long Seq { get; init; }
    public DateTimeOffset OccurredAt { get; init; }
    public Guid? PrincipalId { get; init; }
    public Guid? OrganisationId { get; init; }
    public string Role { get; init; } = "";
    public string Type { get; init; } = "";
    public string Data { get; init; } = "{}";
    public string PrevHash { get; init; } = "";
    public string Hash { get; init; } = "";
    /// <summary>Selected only by queries that join <c>audit_log_entries</c>.</summary>
    public long? LogIndex { get; init; }
    public Guid? UserId { get; init; }

    public const string Columns = """
        e.global_seq AS GlobalSeq, e.stream_id AS StreamId, e.seq, e.occurred_at AS OccurredAt, e.principal_id AS PrincipalId,
        e.organisation_id AS OrganisationId, e.role, e.type, e.data, e.prev_hash AS PrevHash, e.hash,
        (SELECT u.id FROM users u WHERE u.id = e.principal_id) AS UserId
        """;

    public AuditEventView ToView() =>
        new(GlobalSeq, StreamId, Seq, Type, OccurredAt, new AuditActorView(PrincipalId, OrganisationId, Role), ParseData(Data), PrevHash, Hash) { LogIndex = LogIndex, UserId = UserId };

    /// <summary>The stored data as JSON; a value that no longer parses (tampered) is shown as a string, never a 500.</summary>
    public static JsonElement ParseData(string data)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(data);
        }
    }
}

/// <summary>
/// Keyset paging over audit events by their unique, ever-growing <c>global_seq</c> (or a stream's seq), carried in
/// the shared <see cref="Cursor"/>: At is the last row's time, Id packs the number (big-endian in the Guid's last 8
/// bytes, the first 8 zero). Clients treat it as opaque like every other cursor; a Guid that is not such a packing is a 400.
/// </summary>
public static class SeqCursor
{
    public static string Encode(DateTimeOffset at, long seq)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes[8..], seq);
        return new Cursor(at, new Guid(bytes, bigEndian: true)).Encode();
    }

    public static long? Decode(string? value)
    {
        if (Cursor.Decode(value) is not { } cursor) return null;
        Span<byte> bytes = stackalloc byte[16];
        cursor.Id.TryWriteBytes(bytes, bigEndian: true, out _);
        var seq = BinaryPrimitives.ReadInt64BigEndian(bytes[8..]);
        if (bytes[..8].IndexOfAnyExcept((byte)0) >= 0 || seq < 0)
            throw new ValidationException([new ValidationFailure("cursor", "The cursor is not one this API issued.")]);
        return seq;
    }
}

public static class AuditValidation
{
    public static void Period<T>(this AbstractValidator<T> validator, Func<T, DateTimeOffset?> from, Func<T, DateTimeOffset?> to) =>
        validator.RuleFor(q => q).Must(q => from(q) is not { } f || to(q) is not { } t || f < t)
            .WithName("to").WithMessage("to must be after from.");
}
