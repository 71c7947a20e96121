using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Audit;
using ReferralNetwork.Transparency;
using R = ReferralNetwork.Application.Features.Audit.LogProblemReasons;

namespace ReferralNetwork.Infrastructure.Audit.Log;

/// <summary>
/// Verify's part for the transparency log, in one pass over the log in index order (memory O(log n)):
/// <list type="bullet">
/// <item>indices contiguous from 0; every entry's event still there, with the chain hash whose leaf the log stored;
/// every event up to the log's highest one in the log (the rest are pending, not yet sequenced);</item>
/// <item>every signed checkpoint: the log's Ed25519 signature over exactly its C2SP text, and its root equal to the
/// root of the events as they are now at that size (a rewritten or truncated history cannot keep old roots);</item>
/// <item>every stored cosignature verifying with its witness's key; which witnesses cosigned the newest head;</item>
/// <item>the stored subtree hashes, from which proofs are served, giving the newest signed root;</item>
/// <item>each witness asked live (its monitoring endpoint, <c>GET {url}/{sha256(origin)}/checkpoint</c>) for the newest
/// checkpoint it holds: one larger than this log's, or with another root at its size, means this log was rolled back
/// or forked — the one thing no check of the database alone can see.</item>
/// </list>
/// </summary>
public sealed class LogVerifier(IDbSession session, LogIdentity identity, WitnessClient witnessClient, IOptions<TransparencyLogOptions> options)
{
    public const int MaxProblems = 100;

    public async Task<LogVerificationView> VerifyAsync(CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var problems = new List<LogProblem>();
        void Add(LogProblem p) { if (problems.Count < MaxProblems) problems.Add(p); }

        var checkpoints = (await connection.QueryAsync<LogCheckpointRow>(new CommandDefinition(
            $"SELECT {LogCheckpointRow.Columns} FROM audit_log_checkpoints ORDER BY tree_size", cancellationToken: ct))).ToList();
        var cosignatures = (await connection.QueryAsync<LogCosignatureRow>(new CommandDefinition(
            $"SELECT {LogCosignatureRow.Columns} FROM audit_log_cosignatures ORDER BY tree_size, witness_name", cancellationToken: ct))).ToLookup(c => c.TreeSize);
        var signedRoots = new Dictionary<long, string>();
        foreach (var c in checkpoints)
        {
            signedRoots[c.TreeSize] = c.RootHash;
            if (!SignatureHolds(c)) Add(new LogProblem(R.SignatureInvalid, null, c.TreeSize, null,
                "The checkpoint's note is not this log's signed C2SP checkpoint of its size and root: the note, the row or the signature was altered."));
            foreach (var cosignature in cosignatures[c.TreeSize])
            {
                var witness = identity.Witnesses.FirstOrDefault(w => w.Name == cosignature.WitnessName);
                if (witness is null) continue; // a witness no longer configured: its key is not known here
                if (!CosignatureHolds(witness, c, cosignature))
                    Add(new LogProblem(R.CosignatureInvalid, null, c.TreeSize, witness.Name, "The stored cosignature does not verify with the witness's key."));
            }
        }

        var reports = new Dictionary<string, (long Size, byte[] Root)?>(StringComparer.Ordinal);
        foreach (var witness in identity.Witnesses) reports[witness.Name] = await AskWitnessAsync(witness, ct);
        var wanted = new SortedSet<long>(signedRoots.Keys);
        foreach (var report in reports.Values) if (report is { } r) wanted.Add(r.Size);

        // One pass in index order: the entry, its event's hash, and the leaf the log committed to.
        var rows = connection.QueryUnbufferedAsync<(long LogIndex, string? Hash, string? Leaf)>("""
            SELECT l.log_index, e.hash, n.hash
            FROM audit_log_entries l
            LEFT JOIN audit_events e ON e.global_seq = l.global_seq
            LEFT JOIN audit_log_nodes n ON n.level = 0 AND n.node_index = l.log_index
            ORDER BY l.log_index
            """, commandTimeout: 0);
        var frontier = new LogFrontier(0, []);
        var rootsNow = new Dictionary<long, byte[]> { [0] = LogTree.EmptyRoot() };
        using var sizes = wanted.GetEnumerator();
        var hasSize = sizes.MoveNext();
        while (hasSize && sizes.Current == 0) hasSize = sizes.MoveNext();
        await foreach (var row in rows.WithCancellation(ct))
        {
            if (row.LogIndex != frontier.Size)
            {
                Add(new LogProblem(R.IndexGap, frontier.Size, null, null, $"The log jumps from index {frontier.Size - 1} to {row.LogIndex}: entries were deleted."));
                break;
            }
            byte[] leaf;
            if (row.Hash is null)
            {
                Add(new LogProblem(R.EntryMismatch, row.LogIndex, null, null, "The event at this log index is gone."));
                leaf = row.Leaf is null ? new byte[32] : Convert.FromHexString(row.Leaf);
            }
            else
            {
                leaf = LogTree.LeafHash(Convert.FromHexString(row.Hash));
                if (row.Leaf is null || !Convert.FromHexString(row.Leaf).AsSpan().SequenceEqual(leaf))
                    Add(new LogProblem(R.EntryMismatch, row.LogIndex, null, null, "The event's chain hash is not the one the log committed to: the event was rewritten."));
            }
            frontier.Append(leaf);
            while (hasSize && sizes.Current == frontier.Size)
            {
                rootsNow[frontier.Size] = frontier.Root();
                hasSize = sizes.MoveNext();
            }
        }
        var size = frontier.Size;

        foreach (var c in checkpoints)
        {
            if (!rootsNow.TryGetValue(c.TreeSize, out var root))
                Add(new LogProblem(R.RootMismatch, null, c.TreeSize, null, $"A checkpoint was signed at size {c.TreeSize}, but the log holds only {size} entries: it was truncated."));
            else if (Convert.ToHexStringLower(root) != c.RootHash)
                Add(new LogProblem(R.RootMismatch, null, c.TreeSize, null, "The events in the log no longer give the root signed at this size: the history was rewritten."));
        }
        if (checkpoints.Count > 0 && checkpoints[^1].TreeSize <= size)
        {
            var newest = checkpoints[^1];
            try
            {
                if (Convert.ToHexStringLower(await LogNodes.RootAsync(connection, null, newest.TreeSize, ct)) != newest.RootHash)
                    Add(new LogProblem(R.NodesMismatch, null, newest.TreeSize, null, "The stored subtree hashes do not give the newest signed root: proofs served from them would not verify."));
            }
            catch (InvalidOperationException e)
            {
                Add(new LogProblem(R.NodesMismatch, null, newest.TreeSize, null, e.Message));
            }
        }

        // Events up to the log's highest one must all be in it; those after it are waiting for the next checkpoint.
        var (entries, watermark) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
            "SELECT COUNT(*), COALESCE(MAX(global_seq), 0) FROM audit_log_entries", cancellationToken: ct));
        var (covered, pending) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition("""
            SELECT COALESCE(SUM(CASE WHEN global_seq <= @Watermark THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN global_seq > @Watermark THEN 1 ELSE 0 END), 0)
            FROM audit_events
            """, new { Watermark = watermark }, cancellationToken: ct));
        if (covered > entries)
            Add(new LogProblem(R.IndexGap, null, null, null, $"{covered - entries} events committed before the log's newest entry are not in the log: log entries were deleted."));

        var newestHead = checkpoints.Count == 0 ? null : checkpoints[^1];
        var witnesses = new List<WitnessView>();
        foreach (var witness in identity.Witnesses)
        {
            var cosigned = cosignatures.SelectMany(g => g).Where(c => c.WitnessName == witness.Name).Select(c => (long?)c.TreeSize).Max();
            var report = reports[witness.Name];
            if (report is { } r)
            {
                if (r.Size > size || (newestHead is not null && r.Size > newestHead.TreeSize))
                    Add(new LogProblem(R.WitnessDisagrees, null, r.Size, witness.Name,
                        $"The witness holds a checkpoint of size {r.Size} cosigned for this log, larger than the log's {Math.Min(size, newestHead?.TreeSize ?? size)}: the log was rolled back."));
                else if (rootsNow.TryGetValue(r.Size, out var root) && !root.AsSpan().SequenceEqual(r.Root))
                    Add(new LogProblem(R.WitnessDisagrees, null, r.Size, witness.Name,
                        $"The witness's checkpoint of size {r.Size} has another root than this log at that size: the log was forked."));
            }
            var last = witnessClient.LastAttempt(witness.Name);
            witnesses.Add(new WitnessView(witness.Name, witness.VerifierKey, cosigned, newestHead is not null && cosignatures[newestHead.TreeSize].Any(c => c.WitnessName == witness.Name),
                report?.Size, last is null ? null : $"{(last.Status is { } s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) : "no answer")}: {last.Detail}"));
        }

        SignedTreeHeadView? head = newestHead is null ? null : new SignedTreeHeadView(newestHead.TreeSize, newestHead.RootHash,
            newestHead.Note + string.Concat(cosignatures[newestHead.TreeSize].Select(c => c.SignatureLine + "\n")),
            cosignatures[newestHead.TreeSize].Select(c => c.WitnessName).ToList(), newestHead.CreatedAt);
        return new LogVerificationView(problems.Count == 0, identity.Origin, size, newestHead?.TreeSize ?? 0, pending, checkpoints.Count, head, witnesses, problems);
    }

    private bool SignatureHolds(LogCheckpointRow c)
    {
        try
        {
            var note = SignedNote.Parse(c.Note);
            var checkpoint = Checkpoint.Parse(note.Text);
            return checkpoint.Origin == identity.Origin && checkpoint.Size == c.TreeSize && Convert.ToHexStringLower(checkpoint.Root) == c.RootHash
                   && note.Text == new Checkpoint(identity.Origin, c.TreeSize, checkpoint.Root).Text()
                   && note.Signatures.Any(s => NoteSigner.Verify(identity.Origin, identity.PublicKey, note.Text, s));
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool CosignatureHolds(Witness witness, LogCheckpointRow c, LogCosignatureRow cosignature)
    {
        try
        {
            var text = SignedNote.Parse(c.Note).Text;
            var line = SignedNote.ParseSignatureLines(cosignature.SignatureLine + "\n").Single();
            return Cosigner.Verify(witness.Name, witness.PublicKey, text, line) is not null;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>The newest checkpoint the witness holds for this log, verified (the log's signature and the witness's cosignature); null when it has none or cannot be reached.</summary>
    private async Task<(long Size, byte[] Root)?> AskWitnessAsync(Witness witness, CancellationToken ct)
    {
        var originHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity.Origin)));
        var url = new Uri(witness.AddCheckpoint, $"./{originHash}/checkpoint");
        using var http = new HttpClient { Timeout = options.Value.WitnessTimeout };
        try
        {
            using var response = await http.GetAsync(url, ct);
            if (response.StatusCode != HttpStatusCode.OK) return null;
            var note = SignedNote.Parse(await response.Content.ReadAsStringAsync(ct));
            var checkpoint = Checkpoint.Parse(note.Text);
            var logSigned = note.Signatures.Any(s => NoteSigner.Verify(identity.Origin, identity.PublicKey, note.Text, s));
            var cosigned = note.Signatures.Any(s => Cosigner.Verify(witness.Name, witness.PublicKey, note.Text, s) is not null);
            return checkpoint.Origin == identity.Origin && logSigned && cosigned ? (checkpoint.Size, checkpoint.Root) : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or FormatException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }
}
