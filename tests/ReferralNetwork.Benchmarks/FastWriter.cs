using System.Buffers;
using System.Collections;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ReferralNetwork.Infrastructure.Audit;

namespace ReferralNetwork.Benchmarks;

/// <summary>
/// What the bulk generator spends most of its time on, done without JSON trees or per-call cipher set-up: canonical JSON
/// (keys in ordinal order, the relaxed encoder — as <see cref="CanonicalJson"/>), the event hash
/// <c>SHA-256(prevHash ‖ canonical event JSON)</c> (as <see cref="AuditChain.Hash"/>), and AES-256-GCM envelope sealing in
/// <c>PersonalDataProtector</c>'s format (nonce ‖ tag ‖ ciphertext, context as associated data). The generator checks
/// samples against the API's own code. One instance per thread.
/// </summary>
public sealed class FastWriter : IDisposable
{
    private const int NonceSize = 12, TagSize = 16;
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false, SkipValidation = true };
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _writer;
    private readonly AesGcm _master;
    private readonly byte[] _wrapContext;
    private int _events;

    public FastWriter(byte[] masterKey, string masterKeyId)
    {
        _writer = new Utf8JsonWriter(_buffer, Options);
        _master = new AesGcm(masterKey, TagSize);
        _wrapContext = Encoding.UTF8.GetBytes("data-key:" + masterKeyId);
    }

    public sealed class DataKey(byte[] wrapped, AesGcm aes) : IDisposable
    {
        public byte[] Wrapped { get; } = wrapped;
        public byte[] Seal(string plaintext, string context) => Encrypt(aes, Encoding.UTF8.GetBytes(plaintext), Encoding.UTF8.GetBytes(context));
        public void Dispose() => aes.Dispose();
    }

    public DataKey NewDataKey()
    {
        Span<byte> key = stackalloc byte[32];
        RandomNumberGenerator.Fill(key);
        return new DataKey(Encrypt(_master, key, _wrapContext), new AesGcm(key, TagSize));
    }

    private static byte[] Encrypt(AesGcm aes, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associated)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        RandomNumberGenerator.Fill(output.AsSpan(0, NonceSize));
        aes.Encrypt(output.AsSpan(0, NonceSize), plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), associated);
        return output;
    }

    /// <summary>An audit event as <c>AuditAppender</c> writes it: canonical data text and its chained hash.</summary>
    public AuditRecord Event(string stream, long seq, DateTimeOffset at, Guid? organisationId, Guid? principalId, string role, string type, string prevHash,
        IReadOnlyDictionary<string, object?> data)
    {
        // The data column: canonical JSON of the data.
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        Write(data);
        _writer.Flush();
        var dataText = Encoding.UTF8.GetString(_buffer.WrittenSpan);

        // The hash: prevHash as 32 bytes, then the canonical event JSON (keys already in ordinal order here).
        _buffer.ResetWrittenCount();
        Convert.FromHexString(prevHash, _buffer.GetSpan(32)[..32], out _, out _);
        _buffer.Advance(32);
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteStartObject("actor");
        if (organisationId is { } organisation) _writer.WriteString("organisationId", organisation.ToString("D"));
        else _writer.WriteNull("organisationId");
        if (principalId is { } principal) _writer.WriteString("principalId", principal.ToString("D"));
        else _writer.WriteNull("principalId");
        _writer.WriteString("role", role);
        _writer.WriteEndObject();
        _writer.WritePropertyName("data");
        _writer.WriteRawValue(dataText, skipInputValidation: true);
        _writer.WriteString("occurredAt", AuditChain.FormatTime(at));
        _writer.WriteNumber("seq", seq);
        _writer.WriteString("streamId", stream);
        _writer.WriteString("type", type);
        _writer.WriteEndObject();
        _writer.Flush();
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(_buffer.WrittenSpan, hash);
        var record = new AuditRecord(stream, seq, at, principalId, organisationId, role, type, dataText, prevHash, Convert.ToHexStringLower(hash));
        if (++_events % 4999 == 1) DataGenerator.SelfCheck(record);
        return record;
    }

    private void Write(object? value)
    {
        switch (value)
        {
            case null: _writer.WriteNullValue(); break;
            case string s: _writer.WriteStringValue(s); break;
            case Guid g: _writer.WriteStringValue(g); break;
            case DateTimeOffset t: _writer.WriteStringValue(t); break;
            case bool b: _writer.WriteBooleanValue(b); break;
            case int n: _writer.WriteNumberValue(n); break;
            case long n: _writer.WriteNumberValue(n); break;
            case IReadOnlyDictionary<string, object?> map:
                _writer.WriteStartObject();
                foreach (var key in map.Keys.Order(StringComparer.Ordinal))
                {
                    _writer.WritePropertyName(key);
                    Write(map[key]);
                }
                _writer.WriteEndObject();
                break;
            case IEnumerable items:
                _writer.WriteStartArray();
                foreach (var item in items) Write(item);
                _writer.WriteEndArray();
                break;
            default: throw new NotSupportedException($"FastWriter does not write {value.GetType().Name}.");
        }
    }

    public void Dispose()
    {
        _writer.Dispose();
        _master.Dispose();
    }
}
