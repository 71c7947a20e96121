using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NSec.Cryptography;

namespace ReferralNetwork.OfflineVerifier;

/// <summary>RFC 6962 / 9162 hashing, written bottom-up (the server splits recursively), and the inclusion check of RFC 9162 §2.1.3.2.</summary>
public static class Tree
{
    public static byte[] Leaf(byte[] entry) => SHA256.HashData([0x00, .. entry]);
    public static byte[] Node(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);

    /// <summary>The root of the first n leaves: pair neighbours level by level, an odd last node moves up unchanged.</summary>
    public static byte[] Root(IReadOnlyList<byte[]> leaves, int n)
    {
        if (n == 0) return SHA256.HashData(Array.Empty<byte>());
        var level = leaves.Take(n).ToList();
        while (level.Count > 1)
        {
            var next = new List<byte[]>((level.Count + 1) / 2);
            for (var i = 0; i + 1 < level.Count; i += 2) next.Add(Node(level[i], level[i + 1]));
            if (level.Count % 2 == 1) next.Add(level[^1]);
            level = next;
        }
        return level[0];
    }

    public static bool Inclusion(long index, long size, byte[] leaf, IReadOnlyList<byte[]> path, byte[] root)
    {
        if (index < 0 || index >= size) return false;
        long fn = index, sn = size - 1;
        var r = leaf;
        foreach (var p in path)
        {
            if (sn == 0 || p.Length != 32) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = Node(p, r);
                while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
            }
            else r = Node(r, p);
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r.SequenceEqual(root);
    }
}

/// <summary>A C2SP signed note, checkpoint, and the Ed25519 (0x01) and cosignature/v1 (0x04) signatures over it.</summary>
public sealed record Note(string Text, string Origin, long Size, byte[] Root, List<(string Name, uint KeyId, byte[] Signature)> Signatures)
{
    public static Note Parse(string note)
    {
        if (!note.EndsWith('\n')) throw new FormatException("a note ends in a newline");
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0) throw new FormatException("a note has a blank line before its signatures");
        var text = note[..(split + 1)];
        var lines = text[..^1].Split('\n');
        if (lines.Length < 3) throw new FormatException("a checkpoint has an origin, a size and a root");
        var signatures = new List<(string, uint, byte[])>();
        foreach (var line in note[(split + 2)..^1].Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts.Length != 3 || parts[0] != "\u2014") throw new FormatException($"not a signature line: {line}");
            var bytes = Convert.FromBase64String(parts[2]);
            if (bytes.Length < 5) throw new FormatException("a signature is too short");
            signatures.Add((parts[1], BinaryPrimitives.ReadUInt32BigEndian(bytes), bytes[4..]));
        }
        return new Note(text, lines[0], long.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture), Convert.FromBase64String(lines[2]), signatures);
    }

    public string RootHex => Convert.ToHexStringLower(Root);
}

/// <summary>A verifier key <c>name+hex(keyid)+base64(type ‖ 32-byte Ed25519 key)</c>.</summary>
public sealed record VerifierKey(string Name, byte Type, byte[] Key)
{
    public uint KeyId => BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData([.. Encoding.UTF8.GetBytes(Name), 0x0A, Type, .. Key]));

    public static VerifierKey Parse(string vkey)
    {
        var parts = vkey.Trim().Split('+', 3); // the base64 part may hold '+' itself
        if (parts.Length != 3) throw new FormatException($"not a verifier key: {vkey}");
        var material = Convert.FromBase64String(parts[2]);
        if (material.Length != 33) throw new FormatException($"not an Ed25519 verifier key: {vkey}");
        var key = new VerifierKey(parts[0], material[0], material[1..]);
        if (key.KeyId.ToString("x8", System.Globalization.CultureInfo.InvariantCulture) != parts[1]) throw new FormatException($"the key ID of {vkey} does not match");
        return key;
    }

    private bool Ed25519(byte[] message, ReadOnlySpan<byte> signature) =>
        PublicKey.TryImport(SignatureAlgorithm.Ed25519, Key, KeyBlobFormat.RawPublicKey, out var key) && key is not null
        && SignatureAlgorithm.Ed25519.Verify(key, message, signature);

    /// <summary>True when the note carries a valid signature of this key: type 0x01 over the text, or 0x04 over the cosignature message.</summary>
    public bool Signed(Note note, out long? timestamp)
    {
        timestamp = null;
        foreach (var (name, id, signature) in note.Signatures.Where(s => s.Name == Name && s.KeyId == KeyId))
        {
            if (Type == 0x01 && signature.Length == 64 && Ed25519(Encoding.UTF8.GetBytes(note.Text), signature)) return true;
            if (Type == 0x04 && signature.Length == 72)
            {
                var time = (long)BinaryPrimitives.ReadUInt64BigEndian(signature);
                if (Ed25519(Encoding.UTF8.GetBytes($"cosignature/v1\ntime {time}\n{note.Text}"), signature.AsSpan(8)))
                {
                    timestamp = time;
                    return true;
                }
            }
        }
        return false;
    }
}

/// <summary>The event hash of DESIGN §6: SHA-256(prevHash bytes ‖ canonical JSON of {actor, data, occurredAt, seq, streamId, type}).</summary>
public static class Events
{
    private static readonly JsonWriterOptions Canonical = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static string Hash(JsonElement e, string prevHash)
    {
        using var body = new MemoryStream();
        using (var w = new Utf8JsonWriter(body, Canonical))
        {
            w.WriteStartObject();
            w.WritePropertyName("actor");
            Write(w, e.GetProperty("actor"));
            w.WritePropertyName("data");
            Write(w, e.GetProperty("data"));
            w.WriteString("occurredAt", e.GetProperty("occurredAt").GetString());
            w.WriteNumber("seq", e.GetProperty("seq").GetInt64());
            w.WriteString("streamId", e.GetProperty("streamId").GetString());
            w.WriteString("type", e.GetProperty("type").GetString());
            w.WriteEndObject();
        }
        return Convert.ToHexStringLower(SHA256.HashData([.. Convert.FromHexString(prevHash), .. body.ToArray()]));
    }

    private static void Write(Utf8JsonWriter w, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var property in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    w.WritePropertyName(property.Name);
                    Write(w, property.Value);
                }
                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in value.EnumerateArray()) Write(w, item);
                w.WriteEndArray();
                break;
            case JsonValueKind.String: w.WriteStringValue(value.GetString()); break;
            case JsonValueKind.Number: w.WriteRawValue(value.GetRawText()); break;
            case JsonValueKind.True or JsonValueKind.False: w.WriteBooleanValue(value.GetBoolean()); break;
            default: w.WriteNullValue(); break;
        }
    }

    /// <summary>The statement an ECDSA stream-head checkpoint signs (README "Integrity").</summary>
    public static string Statement(JsonElement c)
    {
        var previous = c.GetProperty("previousSequence").ValueKind == JsonValueKind.Null ? 0 : c.GetProperty("previousSequence").GetInt64();
        var previousRoot = c.GetProperty("previousRootHash").GetString() ?? new string('0', 64);
        return "referral-network audit checkpoint v1\n"
               + $"sequence {c.GetProperty("sequence").GetInt64()}\ntree-size {c.GetProperty("treeSize").GetInt64()}\nevent-count {c.GetProperty("eventCount").GetInt64()}\n"
               + $"root {c.GetProperty("rootHash").GetString()}\ntimestamp {c.GetProperty("createdAt").GetString()}\nkey-id {c.GetProperty("keyId").GetString()}\n"
               + $"previous {previous} {previousRoot}\n";
    }

    /// <summary>The Merkle root over stream heads: leaf = SHA-256(0x00 ‖ streamId ‖ 0x00 ‖ seq (8 bytes BE) ‖ head hash), sorted by streamId.</summary>
    public static string HeadsRoot(IDictionary<string, (long Seq, string Hash)> heads) =>
        Convert.ToHexStringLower(Tree.Root(heads.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h =>
        {
            var seq = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(seq, h.Value.Seq);
            return SHA256.HashData([0x00, .. Encoding.UTF8.GetBytes(h.Key), 0x00, .. seq, .. Convert.FromHexString(h.Value.Hash)]);
        }).ToList(), heads.Count));
}
