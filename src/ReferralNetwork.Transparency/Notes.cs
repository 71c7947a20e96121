using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace ReferralNetwork.Transparency;

/// <summary>One signature line of a signed note: <c>— &lt;key name&gt; base64(key ID ‖ signature)</c>.</summary>
public sealed record NoteSignature(string KeyName, uint KeyId, byte[] Signature)
{
    public string Line()
    {
        var bytes = new byte[4 + Signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, KeyId);
        Signature.CopyTo(bytes, 4);
        return $"{SignedNote.Dash} {KeyName} {Convert.ToBase64String(bytes)}\n";
    }
}

/// <summary>
/// A C2SP signed note (c2sp.org/signed-note): a UTF-8 text ending in a newline, a blank line, then one or more
/// signature lines. The text is separated from the signatures by the last empty line.
/// </summary>
public sealed record SignedNote(string Text, IReadOnlyList<NoteSignature> Signatures)
{
    public const string Dash = "\u2014";
    public const int MaxSignatures = 64;

    public override string ToString() => Text + "\n" + string.Concat(Signatures.Select(s => s.Line()));

    public static SignedNote Parse(string note)
    {
        if (note.Length > 64 * 1024) throw new FormatException("The note is too long.");
        if (note.Any(c => c < ' ' && c != '\n')) throw new FormatException("A note holds no control characters other than newline.");
        if (!note.EndsWith('\n')) throw new FormatException("A note ends in a newline.");
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0) throw new FormatException("A note has a blank line between its text and its signatures.");
        var text = note[..(split + 1)];
        var signatures = new List<NoteSignature>();
        foreach (var line in note[(split + 2)..^1].Split('\n'))
        {
            signatures.Add(ParseSignatureLine(line));
            if (signatures.Count > MaxSignatures) throw new FormatException("The note has too many signatures.");
        }
        if (signatures.Count == 0) throw new FormatException("A note has at least one signature.");
        return new SignedNote(text, signatures);
    }

    /// <summary>Signature lines as a witness answers them (each ending in a newline).</summary>
    public static IReadOnlyList<NoteSignature> ParseSignatureLines(string lines)
    {
        if (!lines.EndsWith('\n')) throw new FormatException("Signature lines end in a newline.");
        return lines[..^1].Split('\n').Select(ParseSignatureLine).ToList();
    }

    private static NoteSignature ParseSignatureLine(string line)
    {
        var parts = line.Split(' ');
        if (parts.Length != 3 || parts[0] != Dash || !ValidKeyName(parts[1])) throw new FormatException("A signature line is '— <key name> <base64>'.");
        byte[] bytes;
        try { bytes = Convert.FromBase64String(parts[2]); }
        catch (FormatException) { throw new FormatException("A signature is base64."); }
        if (bytes.Length < 5) throw new FormatException("A signature holds a key ID and a signature.");
        return new NoteSignature(parts[1], BinaryPrimitives.ReadUInt32BigEndian(bytes), bytes[4..]);
    }

    public static bool ValidKeyName(string name) => name.Length > 0 && !name.Any(c => char.IsWhiteSpace(c) || c == '+' || c < ' ');
}

/// <summary>
/// A C2SP checkpoint (c2sp.org/tlog-checkpoint): the note text <c>origin\nsize\nbase64(root)\n</c>, no extension lines
/// (they are not auditable, so this log writes none; a parsed one keeps them).
/// </summary>
public sealed record Checkpoint(string Origin, long Size, byte[] Root, IReadOnlyList<string> Extensions)
{
    public Checkpoint(string origin, long size, byte[] root) : this(origin, size, root, []) { }

    public string Text() => $"{Origin}\n{Size.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(Root)}\n" + string.Concat(Extensions.Select(e => e + "\n"));

    public static Checkpoint Parse(string text)
    {
        if (!text.EndsWith('\n')) throw new FormatException("A checkpoint's text ends in a newline.");
        var lines = text[..^1].Split('\n');
        if (lines.Length < 3 || lines.Any(l => l.Length == 0)) throw new FormatException("A checkpoint has at least three non-empty lines.");
        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || (lines[1].Length > 1 && lines[1][0] == '0'))
            throw new FormatException("The tree size is a decimal without leading zeroes.");
        byte[] root;
        try { root = Convert.FromBase64String(lines[2]); }
        catch (FormatException) { throw new FormatException("The root hash is base64."); }
        if (root.Length != LogTree.HashSize || Convert.ToBase64String(root) != lines[2]) throw new FormatException("The root hash is 32 bytes of base64.");
        return new Checkpoint(lines[0], size, root, lines[3..]);
    }
}

/// <summary>Key IDs and verifier keys (vkeys: <c>name+hex(key ID)+base64(type ‖ public key)</c>) of c2sp.org/signed-note.</summary>
public static class NoteKeys
{
    public const byte Ed25519 = 0x01;
    public const byte CosignatureV1 = 0x04;

    public static uint KeyId(string name, byte type, ReadOnlySpan<byte> publicKey)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var buffer = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(buffer, 0);
        buffer[nameBytes.Length] = 0x0A;
        buffer[nameBytes.Length + 1] = type;
        publicKey.CopyTo(buffer.AsSpan(nameBytes.Length + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(buffer));
    }

    public static string VerifierKey(string name, byte type, ReadOnlySpan<byte> publicKey) =>
        $"{name}+{KeyId(name, type, publicKey):x8}+{Convert.ToBase64String([type, .. publicKey])}";

    /// <summary>Parses a vkey of the given type, checking that its key ID is the one its name and key give.</summary>
    public static (string Name, byte[] PublicKey) ParseVerifierKey(string vkey, byte type)
    {
        var parts = vkey.Trim().Split('+', 3); // the base64 part may hold '+' itself
        if (parts.Length != 3 || !SignedNote.ValidKeyName(parts[0])) throw new FormatException("A verifier key is name+hex(key ID)+base64(type ‖ key).");
        byte[] material;
        try { material = Convert.FromBase64String(parts[2]); }
        catch (FormatException) { throw new FormatException("The key of a verifier key is base64."); }
        if (material.Length != 33 || material[0] != type) throw new FormatException($"The verifier key is not an Ed25519 key of signature type 0x{type:x2}.");
        var key = material[1..];
        if (!string.Equals(parts[1], KeyId(parts[0], type, key).ToString("x8", CultureInfo.InvariantCulture), StringComparison.Ordinal))
            throw new FormatException("The verifier key's ID does not match its name and key.");
        return (parts[0], key);
    }
}

/// <summary>An Ed25519 key as the log or a witness holds it: PEM PKCS#8 (<c>openssl genpkey -algorithm ed25519</c>).</summary>
public sealed class Ed25519Key : IDisposable
{
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    private Ed25519Key(Key key)
    {
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public byte[] PublicKey { get; }

    public static Ed25519Key FromPem(string pem)
    {
        try
        {
            return new Ed25519Key(Key.Import(Algorithm, Encoding.ASCII.GetBytes(pem.Trim()), KeyBlobFormat.PkixPrivateKeyText,
                new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException("The key is not an Ed25519 private key in PEM (PKCS#8, BEGIN PRIVATE KEY).", e);
        }
    }

    public static string NewPem()
    {
        using var key = Key.Create(Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return Encoding.ASCII.GetString(key.Export(KeyBlobFormat.PkixPrivateKeyText));
    }

    public byte[] Sign(ReadOnlySpan<byte> message) => Algorithm.Sign(_key, message);

    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != 32 || signature.Length != 64) return false;
        return NSec.Cryptography.PublicKey.TryImport(Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var key) && key is not null
            && Algorithm.Verify(key, message, signature);
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>Signs and verifies note texts with Ed25519 (signature type 0x01): how the log signs its checkpoints.</summary>
public sealed class NoteSigner(string name, Ed25519Key key)
{
    public string Name { get; } = name;
    public uint KeyId { get; } = NoteKeys.KeyId(name, NoteKeys.Ed25519, key.PublicKey);
    public string VerifierKey { get; } = NoteKeys.VerifierKey(name, NoteKeys.Ed25519, key.PublicKey);

    public NoteSignature Sign(string text) => new(Name, KeyId, key.Sign(Encoding.UTF8.GetBytes(text)));

    public static bool Verify(string name, byte[] publicKey, string text, NoteSignature signature) =>
        signature.KeyName == name && signature.KeyId == NoteKeys.KeyId(name, NoteKeys.Ed25519, publicKey)
        && Ed25519Key.Verify(publicKey, Encoding.UTF8.GetBytes(text), signature.Signature);
}

/// <summary>
/// Ed25519 checkpoint cosignatures of c2sp.org/tlog-cosignature (type 0x04): the signature is
/// <c>u64 timestamp ‖ Ed25519(“cosignature/v1\ntime &lt;t&gt;\n” ‖ checkpoint text)</c>.
/// </summary>
public sealed class Cosigner(string name, Ed25519Key key)
{
    public string Name { get; } = name;
    public uint KeyId { get; } = NoteKeys.KeyId(name, NoteKeys.CosignatureV1, key.PublicKey);
    public string VerifierKey { get; } = NoteKeys.VerifierKey(name, NoteKeys.CosignatureV1, key.PublicKey);

    public NoteSignature Cosign(string checkpointText, long timestamp)
    {
        var signature = key.Sign(Message(checkpointText, timestamp));
        var bytes = new byte[8 + signature.Length];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, (ulong)timestamp);
        signature.CopyTo(bytes, 8);
        return new NoteSignature(Name, KeyId, bytes);
    }

    public static byte[] Message(string checkpointText, long timestamp) =>
        Encoding.UTF8.GetBytes($"cosignature/v1\ntime {timestamp.ToString(CultureInfo.InvariantCulture)}\n{checkpointText}");

    /// <summary>The cosignature's timestamp when it is a valid cosignature by (name, publicKey) over the text, else null.</summary>
    public static long? Verify(string name, byte[] publicKey, string checkpointText, NoteSignature signature)
    {
        if (signature.KeyName != name || signature.KeyId != NoteKeys.KeyId(name, NoteKeys.CosignatureV1, publicKey) || signature.Signature.Length != 72) return null;
        var timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature.Signature);
        if (timestamp > long.MaxValue) return null;
        return Ed25519Key.Verify(publicKey, Message(checkpointText, (long)timestamp), signature.Signature.AsSpan(8)) ? (long)timestamp : null;
    }
}
