using System.Buffers;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>
/// Checks a stored event's hash without building a JSON tree: it writes the canonical event JSON (keys in ordinal
/// order, as <see cref="CanonicalJson"/> does) straight into one reused buffer, with the stored <c>data</c> text copied
/// in raw — the appender stores data already canonical. A match is proof (SHA-256); a miss falls back to
/// <see cref="AuditChain.Recompute"/>, which re-canonicalises the data, so the verdict is exactly the chain's.
/// One instance per verification run (not thread-safe).
/// </summary>
public sealed class EventHasher : IDisposable
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false, SkipValidation = true };
    private readonly ArrayBufferWriter<byte> _buffer = new(2048);
    private readonly Utf8JsonWriter _writer;
    // Reused: creating a SHA-256 context per event costs about as much as hashing the event.
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public EventHasher() => _writer = new Utf8JsonWriter(_buffer, Options);

    public long SlowPathCount { get; private set; }

    public bool Matches(AuditEventRow e)
    {
        Span<byte> expected = stackalloc byte[32];
        if (!TryHex(e.Hash, expected)) return false;
        if (FastMatches(e, expected)) return true;
        SlowPathCount++;
        try
        {
            return AuditChain.Recompute(e) == e.Hash;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return false; // data that is not JSON, or a prevHash that is not hex: cannot be what was hashed
        }
    }

    private bool FastMatches(AuditEventRow e, ReadOnlySpan<byte> expected)
    {
        _buffer.ResetWrittenCount();
        if (!TryHex(e.PrevHash, _buffer.GetSpan(32)[..32])) return false;
        _buffer.Advance(32);
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteStartObject("actor");
        WriteGuid("organisationId", e.OrganisationId);
        WriteGuid("principalId", e.PrincipalId);
        _writer.WriteString("role", e.Role);
        _writer.WriteEndObject();
        _writer.WritePropertyName("data");
        _writer.WriteRawValue(e.Data, skipInputValidation: true);
        _writer.WriteString("occurredAt", AuditChain.FormatTime(e.OccurredAt));
        _writer.WriteNumber("seq", e.Seq);
        _writer.WriteString("streamId", e.StreamId);
        _writer.WriteString("type", e.Type);
        _writer.WriteEndObject();
        _writer.Flush();
        Span<byte> actual = stackalloc byte[32];
        _sha256.AppendData(_buffer.WrittenSpan);
        _sha256.GetHashAndReset(actual);
        return actual.SequenceEqual(expected);
    }

    private void WriteGuid(string name, Guid? value)
    {
        if (value is { } id) _writer.WriteString(name, id.ToString("D"));
        else _writer.WriteNull(name);
    }

    public void Dispose()
    {
        _writer.Dispose();
        _sha256.Dispose();
    }

    public static bool TryHex(string? hex, Span<byte> into) =>
        hex is { Length: 64 } && Convert.FromHexString(hex, into, out _, out var written) == OperationStatus.Done && written == 32;
}
