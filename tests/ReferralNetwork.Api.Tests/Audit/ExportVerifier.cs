using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ReferralNetwork.Api.Tests.Audit;

/// <summary>
/// Checks an audit export with nothing but the NDJSON file and the public key PEM, the way an auditor outside the
/// system would. Written from the documented formats only — it uses no production audit code (no AuditChain,
/// CanonicalJson, MerkleTree or CheckpointStatement), so a bug shared with the server cannot hide here.
/// <list type="bullet">
/// <item>event: hash = SHA-256(prevHash bytes ‖ canonical JSON of {streamId, seq, occurredAt, actor, type, data}),
/// canonical = object keys in ordinal order, no white space, relaxed escaping; within the file a stream's events are
/// contiguous and linked; a stream's first event in the file is either seq 1 with a zero prevHash or an anchor;</item>
/// <item>checkpoint: ECDSA P-256/SHA-256 (DER signature) over the statement text; sequence and predecessor linked; tree
/// size never decreasing; the Merkle root (RFC 6962, computed bottom-up here, unlike the server's recursive split)
/// over the sealed heads equals the signed root; every sealed head that is in the file has that hash;</item>
/// <item>an anchor the auditor kept (a checkpoint's sequence and root), when given: that checkpoint is in the file with that root;</item>
/// <item>accountability (docs/accountability-events.md): every referral stream the file holds from seq 1 is replayed
/// into its responsibility trail (the <c>responsibility</c> changes) and its breaches (the <c>duties</c> changes:
/// <c>breached</c> opens one, the later <c>closed</c> gives its actedAt; the protocol comes from <c>referral.submitted</c>),
/// for comparison with what the API serves.</item>
/// </list>
/// </summary>
public static class ExportVerifier
{
    public sealed record Result(IReadOnlyList<string> Problems, int Events, int Checkpoints)
    {
        public bool Ok => Problems.Count == 0;

        /// <summary>The trail of every referral whose stream the file holds from its first event, periods in seq order.</summary>
        public IReadOnlyDictionary<Guid, IReadOnlyList<TrailPeriod>> Trails { get; init; } = new Dictionary<Guid, IReadOnlyList<TrailPeriod>>();

        /// <summary>The breaches of those referrals.</summary>
        public IReadOnlyList<Breach> Breaches { get; init; } = [];

        /// <summary>The header's exportedAt: the instant an open breach's lateness is measured at.</summary>
        public DateTimeOffset ExportedAt { get; init; }
    }

    public sealed record TrailPeriod(Guid OrganisationId, DateTimeOffset From, DateTimeOffset? Until, string Basis, string? ClosedBasis);

    public sealed record Breach(Guid ReferralId, string Deadline, Guid HolderOrganisationId, Guid ResponsibleOrganisationId, DateTimeOffset DueAt,
        DateTimeOffset DetectedAt, DateTimeOffset? ActedAt, string? ProtocolCode, int? ProtocolVersion)
    {
        /// <summary>actedAt − dueAt, or, while the duty is still open, <paramref name="now"/> − dueAt, in whole seconds.</summary>
        public long LateBySeconds(DateTimeOffset now) => (long)Math.Floor(((ActedAt ?? now) - DueAt).TotalSeconds);
    }

    private static readonly JsonWriterOptions Canonical = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };
    private static readonly string Zeros = new('0', 64);

    public static Result Verify(string ndjson, string publicKeyPem, (long Checkpoint, string Root)? anchor = null)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(publicKeyPem);
        var keyId = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
        var problems = new List<string>();
        var lines = ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        if (lines.Count < 2 || Kind(lines[0]) != "header" || lines[0].GetProperty("format").GetString() != "referral-network-audit-export/v1")
            return new Result(["the file does not start with a v1 header"], 0, 0);
        if (Kind(lines[^1]) != "end") problems.Add("the file has no end line: truncated");

        var last = new Dictionary<string, (long Seq, string Hash)>(StringComparer.Ordinal);
        var hashes = new Dictionary<(string, long), string>();
        var sealedHeads = new List<(long Checkpoint, string Stream, long Seq, string Hash)>();
        var snapshot = new Dictionary<string, (long Seq, string Hash)>(StringComparer.Ordinal);
        JsonElement? previous = null;
        long lastGlobal = 0;
        int events = 0, checkpoints = 0;
        var replays = new Dictionary<Guid, Referral>();
        var anchorSeen = false;
        foreach (var line in lines.Skip(1))
        {
            switch (Kind(line))
            {
                case "event":
                    events++;
                    var stream = line.GetProperty("streamId").GetString()!;
                    var seq = line.GetProperty("seq").GetInt64();
                    var prevHash = line.GetProperty("prevHash").GetString()!;
                    var hash = line.GetProperty("hash").GetString()!;
                    var where = $"{stream}#{seq}";
                    var global = line.GetProperty("globalSeq").GetInt64();
                    if (global <= lastGlobal) problems.Add($"{where}: globalSeq {global} is not after {lastGlobal}");
                    lastGlobal = global;
                    if (last.TryGetValue(stream, out var before))
                    {
                        if (seq != before.Seq + 1) problems.Add($"{where}: seq gap after {before.Seq}");
                        else if (prevHash != before.Hash) problems.Add($"{where}: prevHash does not link");
                    }
                    else if (seq == 1 && prevHash != Zeros) problems.Add($"{where}: the first event's prevHash is not zero");
                    if (line.TryGetProperty("dataText", out _) || EventHash(line, prevHash) != hash) problems.Add($"{where}: hash mismatch");
                    if (stream.StartsWith("referral/", StringComparison.Ordinal) && Guid.TryParse(stream["referral/".Length..], out var referral))
                    {
                        // Only a stream the file holds from its first event can be replayed whole.
                        if (seq == 1) replays[referral] = new Referral();
                        if (replays.TryGetValue(referral, out var replay)) problems.AddRange(replay.Apply(line).Select(p => $"{where}: {p}"));
                    }
                    last[stream] = (seq, hash);
                    hashes[(stream, seq)] = hash;
                    break;
                case "checkpoint":
                    checkpoints++;
                    problems.AddRange(CheckCheckpoint(line, previous, key, keyId, snapshot).Select(p => $"checkpoint {line.GetProperty("sequence").GetInt64()}: {p}"));
                    if (anchor is { } a && line.GetProperty("sequence").GetInt64() == a.Checkpoint)
                    {
                        anchorSeen = true;
                        if (!string.Equals(line.GetProperty("rootHash").GetString(), a.Root, StringComparison.OrdinalIgnoreCase))
                            problems.Add($"checkpoint {a.Checkpoint}: its root is not the anchored {a.Root}");
                    }
                    foreach (var head in line.GetProperty("heads").EnumerateArray())
                        sealedHeads.Add((line.GetProperty("sequence").GetInt64(), head.GetProperty("streamId").GetString()!, head.GetProperty("seq").GetInt64(), head.GetProperty("hash").GetString()!));
                    previous = line;
                    break;
                case "log_checkpoint":
                    // The transparency log's heads: checked by src/ReferralNetwork.OfflineVerifier (TransparencyLogTests).
                    break;
                case "end":
                    if (line.GetProperty("events").GetInt64() != events || line.GetProperty("checkpoints").GetInt64() != checkpoints)
                        problems.Add("the end line's counts do not match the file");
                    break;
                default:
                    problems.Add($"unknown line kind {Kind(line)}");
                    break;
            }
        }
        // Checkpoints are consistent with the events: whatever they sealed and the file holds still has that hash.
        foreach (var (checkpoint, stream, seq, hash) in sealedHeads)
            if (hashes.TryGetValue((stream, seq), out var actual) && actual != hash)
                problems.Add($"checkpoint {checkpoint}: sealed {stream}#{seq} with another hash than the file's event");
        if (anchor is { } kept && !anchorSeen) problems.Add($"the anchored checkpoint {kept.Checkpoint} is not in the file");
        return new Result(problems, events, checkpoints)
        {
            Trails = replays.ToDictionary(r => r.Key, r => (IReadOnlyList<TrailPeriod>)r.Value.Periods.OrderBy(p => p.Key).Select(p => p.Value).ToList()),
            Breaches = replays.SelectMany(r => r.Value.Breaches.Values.Select(b => b with { ReferralId = r.Key })).ToList(),
            ExportedAt = DateTimeOffset.Parse(lines[0].GetProperty("exportedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>One referral's accountability, folded from its events' data as the event format documents it.</summary>
    private sealed class Referral
    {
        public readonly SortedDictionary<long, TrailPeriod> Periods = [];
        public readonly Dictionary<string, Breach> Breaches = [];
        private readonly HashSet<string> _open = [], _closed = [];
        private string? _protocol;
        private int? _version;

        public IEnumerable<string> Apply(JsonElement line)
        {
            var data = line.GetProperty("data");
            if (data.ValueKind != JsonValueKind.Object) yield break;
            if (line.GetProperty("type").GetString() == "referral.submitted")
            {
                _protocol = data.TryGetProperty("protocolCode", out var code) ? code.GetString() : null;
                _version = data.TryGetProperty("protocolVersion", out var version) && version.ValueKind == JsonValueKind.Number ? version.GetInt32() : null;
            }
            foreach (var c in List(data, "responsibility"))
            {
                var seq = c.GetProperty("seq").GetInt64();
                var at = Time(c, "at")!.Value;
                var basis = c.GetProperty("basis").GetString()!;
                switch (c.GetProperty("change").GetString())
                {
                    case "opened" when !Periods.ContainsKey(seq):
                        Periods[seq] = new TrailPeriod(c.GetProperty("organisationId").GetGuid(), at, null, basis, null);
                        break;
                    case "closed" when Periods.TryGetValue(seq, out var open) && open.Until is null:
                        Periods[seq] = open with { Until = at, ClosedBasis = basis };
                        break;
                    default:
                        yield return $"responsibility change {c.GetProperty("change")} of period {seq} does not follow from the events before it";
                        break;
                }
            }
            foreach (var c in List(data, "duties"))
            {
                // A step duty is keyed by its kind and its step code (docs/accountability-events.md).
                var deadline = c.GetProperty("deadline").GetString()!;
                if (c.TryGetProperty("step", out var step) && step.ValueKind == JsonValueKind.String) deadline += ":" + step.GetString();
                var at = Time(c, "at")!.Value;
                switch (c.GetProperty("change").GetString())
                {
                    case "opened" when _open.Add(deadline):
                        break;
                    case "breached" when _open.Contains(deadline) && !_closed.Contains(deadline) && !Breaches.ContainsKey(deadline):
                        Breaches[deadline] = new Breach(Guid.Empty, deadline, c.GetProperty("holderOrganisationId").GetGuid(),
                            c.GetProperty("responsibleOrganisationId").GetGuid(), Time(c, "dueAt")!.Value, at, null, _protocol, _version);
                        break;
                    case "closed" when _open.Contains(deadline) && _closed.Add(deadline):
                        if (Breaches.TryGetValue(deadline, out var breach)) Breaches[deadline] = breach with { ActedAt = at };
                        break;
                    default:
                        yield return $"duty change {c.GetProperty("change")} of {deadline} does not follow from the events before it";
                        break;
                }
            }
        }

        private static IEnumerable<JsonElement> List(JsonElement data, string name) =>
            data.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : [];

        private static DateTimeOffset? Time(JsonElement change, string name) =>
            change.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? DateTimeOffset.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime()
                : null;
    }

    private static IEnumerable<string> CheckCheckpoint(JsonElement c, JsonElement? previous, ECDsa key, string keyId, Dictionary<string, (long Seq, string Hash)> snapshot)
    {
        var sequence = c.GetProperty("sequence").GetInt64();
        var treeSize = c.GetProperty("treeSize").GetInt64();
        var eventCount = c.GetProperty("eventCount").GetInt64();
        var root = c.GetProperty("rootHash").GetString()!;
        var previousSequence = c.GetProperty("previousSequence").ValueKind == JsonValueKind.Null ? (long?)null : c.GetProperty("previousSequence").GetInt64();
        var previousRoot = c.GetProperty("previousRootHash").GetString();
        if (previous is { } p)
        {
            if (sequence != p.GetProperty("sequence").GetInt64() + 1 || previousSequence != p.GetProperty("sequence").GetInt64()
                || previousRoot != p.GetProperty("rootHash").GetString())
                yield return "does not follow its predecessor";
            if (treeSize < p.GetProperty("treeSize").GetInt64()) yield return "the tree shrank";
        }
        else if (!c.GetProperty("headsComplete").GetBoolean()) yield return "the first checkpoint of the file lacks its full snapshot";

        if (c.GetProperty("keyId").GetString() != keyId) yield return "signed by another key";
        var statement = "referral-network audit checkpoint v1\n"
            + $"sequence {sequence}\ntree-size {treeSize}\nevent-count {eventCount}\nroot {root}\n"
            + $"timestamp {c.GetProperty("createdAt").GetString()}\nkey-id {c.GetProperty("keyId").GetString()}\n"
            + $"previous {previousSequence ?? 0} {previousRoot ?? Zeros}\n";
        var signature = Convert.FromBase64String(c.GetProperty("signature").GetString()!);
        if (!key.VerifyData(Encoding.UTF8.GetBytes(statement), signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            yield return "signature invalid";

        if (c.GetProperty("headsComplete").GetBoolean()) snapshot.Clear();
        foreach (var head in c.GetProperty("heads").EnumerateArray())
            snapshot[head.GetProperty("streamId").GetString()!] = (head.GetProperty("seq").GetInt64(), head.GetProperty("hash").GetString()!);
        if (snapshot.Count != treeSize || snapshot.Values.Sum(h => h.Seq) != eventCount) yield return "the sealed heads do not match the tree size and event count";
        if (Convert.ToHexStringLower(MerkleRoot(snapshot)) != root) yield return "the Merkle root over the sealed heads is not the signed root";
    }

    private static string Kind(JsonElement line) => line.GetProperty("kind").GetString()!;

    private static string EventHash(JsonElement e, string prevHash)
    {
        using var body = new MemoryStream();
        using (var w = new Utf8JsonWriter(body, Canonical))
        {
            // Keys in ordinal order: actor, data, occurredAt, seq, streamId, type; inside actor: organisationId, principalId, role.
            w.WriteStartObject();
            w.WritePropertyName("actor");
            WriteCanonical(w, e.GetProperty("actor"));
            w.WritePropertyName("data");
            WriteCanonical(w, e.GetProperty("data"));
            w.WriteString("occurredAt", e.GetProperty("occurredAt").GetString());
            w.WriteNumber("seq", e.GetProperty("seq").GetInt64());
            w.WriteString("streamId", e.GetProperty("streamId").GetString());
            w.WriteString("type", e.GetProperty("type").GetString());
            w.WriteEndObject();
        }
        return Convert.ToHexStringLower(SHA256.HashData([.. Convert.FromHexString(prevHash), .. body.ToArray()]));
    }

    private static void WriteCanonical(Utf8JsonWriter w, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var property in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    w.WritePropertyName(property.Name);
                    WriteCanonical(w, property.Value);
                }
                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in value.EnumerateArray()) WriteCanonical(w, item);
                w.WriteEndArray();
                break;
            case JsonValueKind.String:
                w.WriteStringValue(value.GetString());
                break;
            case JsonValueKind.Number:
                w.WriteRawValue(value.GetRawText());
                break;
            case JsonValueKind.True or JsonValueKind.False:
                w.WriteBooleanValue(value.GetBoolean());
                break;
            default:
                w.WriteNullValue();
                break;
        }
    }

    /// <summary>RFC 6962 bottom-up: pair neighbours level by level, an odd last node moves up unchanged.</summary>
    private static byte[] MerkleRoot(Dictionary<string, (long Seq, string Hash)> heads)
    {
        var level = heads.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h =>
        {
            var seq = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(seq, h.Value.Seq);
            return SHA256.HashData([0x00, .. Encoding.UTF8.GetBytes(h.Key), 0x00, .. seq, .. Convert.FromHexString(h.Value.Hash)]);
        }).ToList();
        if (level.Count == 0) return SHA256.HashData(Array.Empty<byte>());
        while (level.Count > 1)
        {
            var next = new List<byte[]>();
            for (var i = 0; i + 1 < level.Count; i += 2) next.Add(SHA256.HashData([0x01, .. level[i], .. level[i + 1]]));
            if (level.Count % 2 == 1) next.Add(level[^1]);
            level = next;
        }
        return level[0];
    }
}
