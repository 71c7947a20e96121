using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ReferralNetwork.OfflineVerifier;

// referral-network-verify: checks a ReferralNetwork audit export, the log checkpoints an auditor kept, and the receipts
// partners kept — with the public keys only, trusting nothing the server says. Exit code 0 when everything verified,
// 1 when anything failed, 2 on wrong usage. Usage:
//   referral-network-verify --export audit.ndjson --log-key <log vkey> [--checkpoint-key checkpoint-key.pem]
//       [--witness <witness vkey>]... [--min-witnesses N] [--checkpoint file]... [--receipt file.tlog-proof]...
var options = Options.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: referral-network-verify --export audit.ndjson --log-key <vkey> [--checkpoint-key key.pem] [--witness <vkey>]... [--min-witnesses N] [--checkpoint file]... [--receipt file]...");
    return 2;
}
var report = new Report();
try
{
    new Verification(options, report).Run();
}
catch (Exception e) when (e is FormatException or JsonException or IOException or KeyNotFoundException or InvalidOperationException or CryptographicException)
{
    report.Fail($"could not read the input: {e.Message}");
}
Console.WriteLine(report.Failures == 0 ? $"VERIFIED: {report.Passed} checks passed." : $"FAILED: {report.Failures} of {report.Passed + report.Failures} checks failed.");
return report.Failures == 0 ? 0 : 1;

namespace ReferralNetwork.OfflineVerifier
{
    public sealed record Options(string Export, VerifierKey LogKey, string? CheckpointKeyPem, List<VerifierKey> Witnesses, int MinWitnesses, List<string> Checkpoints,
        List<string> Receipts)
    {
        public static Options? Parse(string[] args)
        {
            string? export = null, logKey = null, checkpointKey = null;
            int? min = null;
            List<VerifierKey> witnesses = [];
            List<string> checkpoints = [], receipts = [];
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                switch (args[i])
                {
                    case "--export": export = args[i + 1]; break;
                    case "--log-key": logKey = args[i + 1]; break;
                    case "--checkpoint-key": checkpointKey = File.ReadAllText(args[i + 1]); break;
                    case "--witness": witnesses.Add(VerifierKey.Parse(args[i + 1])); break;
                    case "--min-witnesses": min = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                    case "--checkpoint": checkpoints.Add(args[i + 1]); break;
                    case "--receipt": receipts.Add(args[i + 1]); break;
                    default: return null;
                }
            }
            if (args.Length % 2 != 0 || export is null || logKey is null) return null;
            var key = VerifierKey.Parse(logKey);
            if (key.Type != 0x01) throw new FormatException("--log-key is an Ed25519 (type 0x01) verifier key");
            if (witnesses.Any(w => w.Type != 0x04)) throw new FormatException("--witness takes cosignature/v1 (type 0x04) verifier keys");
            return new Options(export, key, checkpointKey, witnesses, min ?? (witnesses.Count > 0 ? 1 : 0), checkpoints, receipts);
        }
    }

    public sealed class Report
    {
        public int Passed { get; private set; }
        public int Failures { get; private set; }

        public void Ok(string what)
        {
            Passed++;
            Console.WriteLine($"ok    {what}");
        }

        public void Fail(string what)
        {
            Failures++;
            Console.WriteLine($"FAIL  {what}");
        }

        public void Check(bool holds, string ok, string fail)
        {
            if (holds) Ok(ok);
            else Fail(fail);
        }

        public static void Note(string what) => Console.WriteLine($"      {what}");
    }

    /// <summary>What the export says, read once.</summary>
    public sealed class Verification(Options options, Report report)
    {
        private static readonly string Zeros = new('0', 64);
        private readonly List<byte[]> _leaves = [];
        private readonly Dictionary<long, string> _hashByIndex = [];
        private readonly Dictionary<long, string> _hashByEvent = [];
        private bool _complete;
        private readonly List<(string Source, Note Note)> _checkpoints = [];

        public void Run()
        {
            ReadExport();
            foreach (var file in options.Checkpoints) _checkpoints.Add((file, Note.Parse(File.ReadAllText(file))));
            CheckCheckpoints();
            foreach (var file in options.Receipts) CheckReceipt(file);
        }

        private void ReadExport()
        {
            var lines = File.ReadAllLines(options.Export).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            if (lines.Count < 2 || Kind(lines[0]) != "header" || lines[0].GetProperty("format").GetString() != "referral-network-audit-export/v1")
                throw new FormatException("the export does not start with a referral-network-audit-export/v1 header");
            var header = lines[0];
            _complete = header.GetProperty("from").ValueKind == JsonValueKind.Null && header.GetProperty("to").ValueKind == JsonValueKind.Null;
            report.Check(Kind(lines[^1]) == "end", "the export ends with its end line", "the export has no end line: it was truncated");

            var last = new Dictionary<string, (long Seq, string Hash)>(StringComparer.Ordinal);
            var snapshot = new Dictionary<string, (long Seq, string Hash)>(StringComparer.Ordinal);
            using var ecdsa = options.CheckpointKeyPem is null ? null : ECDsa.Create();
            ecdsa?.ImportFromPem(options.CheckpointKeyPem);
            int events = 0, chainFailures = 0, checkpoints = 0, checkpointFailures = 0, logCheckpoints = 0;
            var indexed = new SortedDictionary<long, string>();
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
                        string? problem = null;
                        if (last.TryGetValue(stream, out var before))
                        {
                            if (seq != before.Seq + 1) problem = $"seq gap after {before.Seq}";
                            else if (prevHash != before.Hash) problem = "prevHash does not link to the event before";
                        }
                        else if (seq == 1 && prevHash != Zeros) problem = "the first event's prevHash is not zero";
                        if (problem is null && (line.TryGetProperty("dataText", out _) || Events.Hash(line, prevHash) != hash)) problem = "the hash is not SHA-256(prevHash ‖ the event)";
                        if (problem is not null && chainFailures++ < 20) report.Fail($"chain {stream}#{seq}: {problem}");
                        last[stream] = (seq, hash);
                        _hashByEvent[line.GetProperty("globalSeq").GetInt64()] = hash;
                        if (line.TryGetProperty("logIndex", out var index) && index.ValueKind == JsonValueKind.Number) indexed[index.GetInt64()] = hash;
                        break;
                    case "checkpoint" when ecdsa is not null:
                        checkpoints++;
                        if (line.GetProperty("headsComplete").GetBoolean()) snapshot.Clear();
                        foreach (var head in line.GetProperty("heads").EnumerateArray())
                            snapshot[head.GetProperty("streamId").GetString()!] = (head.GetProperty("seq").GetInt64(), head.GetProperty("hash").GetString()!);
                        var signed = ecdsa.VerifyData(Encoding.UTF8.GetBytes(Events.Statement(line)), Convert.FromBase64String(line.GetProperty("signature").GetString()!),
                            HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
                        var rooted = Events.HeadsRoot(snapshot) == line.GetProperty("rootHash").GetString();
                        if ((!signed || !rooted) && checkpointFailures++ < 20)
                            report.Fail($"stream-head checkpoint {line.GetProperty("sequence").GetInt64()}: {(signed ? "the Merkle root over its sealed heads is not the signed root" : "the ECDSA signature does not verify")}");
                        break;
                    case "checkpoint":
                        break;
                    case "log_checkpoint":
                        logCheckpoints++;
                        _checkpoints.Add(($"export log_checkpoint {line.GetProperty("treeSize").GetInt64()}", Note.Parse(line.GetProperty("note").GetString()!)));
                        break;
                    case "end":
                        report.Check(line.GetProperty("events").GetInt64() == events && line.GetProperty("checkpoints").GetInt64() == lines.Count(l => Kind(l) == "checkpoint")
                                     && (!line.TryGetProperty("logCheckpoints", out var lc) || lc.GetInt64() == logCheckpoints),
                            "the end line's counts match the export", "the end line's counts do not match the export");
                        break;
                }
            }
            report.Check(chainFailures == 0, $"hash chains: {events} events in {last.Count} streams link and hash correctly", $"hash chains: {chainFailures} events fail");
            if (ecdsa is not null)
                report.Check(checkpointFailures == 0, $"stream-head checkpoints: {checkpoints} ECDSA signatures and Merkle roots verify", $"stream-head checkpoints: {checkpointFailures} fail");

            // The transparency log: leaves in index order, indices contiguous from 0.
            var expected = 0L;
            foreach (var (index, hash) in indexed)
            {
                if (index != expected) break;
                _leaves.Add(Tree.Leaf(Convert.FromHexString(hash)));
                _hashByIndex[index] = hash;
                expected++;
            }
            if (_complete)
                report.Check(_leaves.Count == indexed.Count, $"transparency log: {_leaves.Count} entries, indices contiguous from 0",
                    $"transparency log: the indices stop being contiguous at {expected}: entries are missing");
            else Report.Note("the export covers a period only: log roots are checked against a complete export (no from/to) only");
        }

        private byte[]? RootAt(long size) => _complete && size <= _leaves.Count ? Tree.Root(_leaves, (int)size) : null;

        /// <summary>Signatures, cosignatures, and agreement with the export's log, for every checkpoint seen (kept, exported, in receipts).</summary>
        private bool CheckNote(string source, Note note, bool requireWitnesses)
        {
            var ok = true;
            if (note.Origin != options.LogKey.Name || !options.LogKey.Signed(note, out _))
            {
                report.Fail($"{source}: not signed by the log key {options.LogKey.Name}");
                return false;
            }
            var cosigners = options.Witnesses.Where(w => w.Signed(note, out _)).Select(w => w.Name).ToList();
            report.Ok($"{source}: size {note.Size}, root {note.RootHex[..16]}…, signed by the log{(cosigners.Count > 0 ? ", cosigned by " + string.Join(", ", cosigners) : "")}");
            if (requireWitnesses && cosigners.Count < options.MinWitnesses)
            {
                report.Fail($"{source}: {cosigners.Count} witness cosignatures, fewer than the {options.MinWitnesses} required");
                ok = false;
            }
            if (_complete)
            {
                if (note.Size > _leaves.Count)
                {
                    report.Fail($"{source}: ROLLBACK — the log signed a tree of {note.Size} entries, but the export's log holds only {_leaves.Count}");
                    ok = false;
                }
                else if (!RootAt(note.Size)!.SequenceEqual(note.Root))
                {
                    report.Fail($"{source}: FORK — the export's log at size {note.Size} has another root than the log signed: its history was rewritten");
                    ok = false;
                }
                else report.Ok($"{source}: the export's log at size {note.Size} has exactly this root");
            }
            return ok;
        }

        private void CheckCheckpoints()
        {
            foreach (var (source, note) in _checkpoints) CheckNote(source, note, requireWitnesses: false);
            // Two signed heads of one size with different roots: the log showed two histories (a split view).
            foreach (var group in _checkpoints.Where(c => options.LogKey.Signed(c.Note, out _)).GroupBy(c => c.Note.Size))
                if (group.Select(c => c.Note.RootHex).Distinct().Count() > 1)
                    report.Fail($"SPLIT VIEW — the log signed different roots at size {group.Key}: {string.Join(", ", group.Select(c => c.Source))}");
            var newest = _checkpoints.Where(c => options.LogKey.Signed(c.Note, out _)).MaxBy(c => c.Note.Size);
            if (newest.Note is { } head && options.Witnesses.Count > 0)
                Report.Note($"newest head: size {head.Size}, cosigned by {string.Join(", ", options.Witnesses.Where(w => w.Signed(head, out _)).Select(w => w.Name).DefaultIfEmpty("no configured witness"))}");
        }

        /// <summary>A c2sp.org/tlog-proof: the event in its extra line, its inclusion in a signed and cosigned checkpoint, and that checkpoint against the export.</summary>
        private void CheckReceipt(string file)
        {
            var text = File.ReadAllText(file);
            var blank = text.IndexOf("\n\n", StringComparison.Ordinal);
            var head = text[..blank].Split('\n');
            if (head[0] != "c2sp.org/tlog-proof@v1") throw new FormatException($"{file} is not a c2sp.org/tlog-proof@v1");
            var at = 1;
            JsonElement? extra = null;
            if (head[at].StartsWith("extra ", StringComparison.Ordinal)) extra = JsonDocument.Parse(Convert.FromBase64String(head[at++][6..])).RootElement;
            if (!head[at].StartsWith("index ", StringComparison.Ordinal)) throw new FormatException($"{file} has no index line");
            var index = long.Parse(head[at++][6..], System.Globalization.CultureInfo.InvariantCulture);
            var path = head[at..].Select(Convert.FromBase64String).ToList();
            var note = Note.Parse(text[(blank + 2)..]);
            if (extra is not { } e) throw new FormatException($"{file} has no extra line: the event cannot be recomputed");

            var hash = e.GetProperty("hash").GetString()!;
            var eventId = e.GetProperty("eventId").GetInt64();
            var what = $"receipt {Path.GetFileName(file)} (event {eventId}, {e.GetProperty("streamId").GetString()}#{e.GetProperty("seq").GetInt64()}, log index {index})";
            if (e.GetProperty("event").GetString() is { } json)
            {
                var recomputed = Convert.ToHexStringLower(SHA256.HashData([.. Convert.FromHexString(e.GetProperty("prevHash").GetString()!), .. Encoding.UTF8.GetBytes(json)]));
                using var parsed = JsonDocument.Parse(json);
                report.Check(recomputed == hash, $"{what}: the event ({parsed.RootElement.GetProperty("type").GetString()} at {parsed.RootElement.GetProperty("occurredAt").GetString()}) hashes to its chain hash",
                    $"{what}: the event in the receipt does not hash to its chain hash");
            }
            report.Check(Tree.Inclusion(index, note.Size, Tree.Leaf(Convert.FromHexString(hash)), path, note.Root),
                $"{what}: the inclusion proof binds it to the checkpoint of size {note.Size}", $"{what}: the inclusion proof does not verify");
            CheckNote($"{what} checkpoint", note, requireWitnesses: true);
            if (_hashByIndex.TryGetValue(index, out var now))
                report.Check(now == hash, $"{what}: the export's log holds the same event at index {index}",
                    $"{what}: REWRITTEN — the export's log holds another event at index {index} than the server receipted");
            else if (_complete)
                report.Fail($"{what}: ROLLBACK — the export's log has no entry {index}: the receipted event was removed");
            if (_hashByEvent.TryGetValue(eventId, out var exported) && exported != hash)
                report.Fail($"{what}: REWRITTEN — event {eventId} has another hash in the export");
        }

        private static string Kind(JsonElement line) => line.GetProperty("kind").GetString()!;
    }
}
