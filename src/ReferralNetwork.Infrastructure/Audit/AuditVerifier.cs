using System.Diagnostics;
using System.Threading.Channels;
using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Audit;
using R = ReferralNetwork.Application.Features.Audit.AuditBreakReasons;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>
/// Verifies the whole audit trail in three reads, none per stream:
/// <list type="number">
/// <item>the checkpoints, then their sealed heads (delta rows, in checkpoint order): sequence contiguous from 1, each
/// naming its predecessor's sequence and root, signature valid, tree size and event count never decreasing, the
/// delta-encoded snapshot matching the signed size and count, and the latest signed root equal to the Merkle root
/// recomputed over its snapshot (every root with <c>everyRoot</c>);</item>
/// <item>the stream heads;</item>
/// <item>every event, in one unbuffered query ordered by (stream_id, seq): seq contiguous from 1, prevHash linking,
/// the hash recomputed, the head row naming the last event, and — the consistency of the checkpoints with the log
/// as it is now — every head a checkpoint ever sealed still being an event of its stream with that same hash, so the
/// sealed history is a prefix of today's.</item>
/// </list>
/// Each event and each checkpoint yields at most one problem (the first check it fails). The report lists stream
/// problems first (in scan order), then streams that vanished, then checkpoint problems.
/// Limits, by design: deleting a whole stream that no checkpoint has sealed yet, or the newest checkpoint itself,
/// leaves nothing in the database to compare with — which is why checkpoints are published and exported.
/// </summary>
public sealed class AuditVerifier(IDbSession session, CheckpointKeys keys) : IAuditVerifier
{
    public const int MaxProblems = 100;
    private const int ReadBatch = 512;

    public async Task<AuditVerificationView> VerifyAsync(bool everyRoot, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var connection = await session.ConnectionAsync(ct);
        var run = new Run();

        var checkpoints = (await connection.QueryAsync<CheckpointRow>(new CommandDefinition(
            $"SELECT {CheckpointRow.Columns} FROM audit_checkpoints ORDER BY sequence", cancellationToken: ct))).ToList();
        var deltas = connection.QueryUnbufferedAsync<CheckpointHeadRow>(
            "SELECT checkpoint_sequence AS CheckpointSequence, stream_id AS StreamId, seq, hash FROM audit_checkpoint_heads ORDER BY checkpoint_sequence, stream_id",
            commandTimeout: 0);
        await using (var enumerator = deltas.GetAsyncEnumerator(ct))
            await VerifyCheckpointsAsync(checkpoints, enumerator, everyRoot, run);

        var heads = (await connection.QueryAsync<(string StreamId, long Seq, string Hash)>(new CommandDefinition(
            "SELECT stream_id, seq, hash FROM audit_stream_heads", cancellationToken: ct))).ToDictionary(h => h.StreamId, h => (h.Seq, h.Hash), StringComparer.Ordinal);

        var events = connection.QueryUnbufferedAsync<AuditEventRecord>("""
            SELECT stream_id AS StreamId, seq, occurred_at AS OccurredAt, principal_id AS PrincipalId, organisation_id AS OrganisationId,
                   role, type, data, prev_hash AS PrevHash, hash
            FROM audit_events
            ORDER BY stream_id, seq
            """, commandTimeout: 0);
        var seen = await VerifyStreamsAsync(events, heads, run, ct);

        VerifyNothingVanished(heads, seen, run);
        var problems = run.Streams.Concat(run.Vanished).Concat(run.Checkpoints).ToList();
        var streams = new HashSet<string>(seen, StringComparer.Ordinal);
        streams.UnionWith(heads.Keys);
        streams.UnionWith(run.Snapshot.Keys);
        return new AuditVerificationView(problems.Count == 0, run.EventsChecked, streams.Count, checkpoints.Count,
            problems.FirstOrDefault(), problems.Take(MaxProblems).ToList(), problems.Count > MaxProblems, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private async Task VerifyCheckpointsAsync(List<CheckpointRow> checkpoints, IAsyncEnumerator<CheckpointHeadRow> deltas, bool everyRoot, Run run)
    {
        using var signatures = keys.Verifier();
        var hasDelta = await deltas.MoveNextAsync();
        CheckpointRow? previous = null;
        long sum = 0;
        for (var i = 0; i < checkpoints.Count; i++)
        {
            var c = checkpoints[i];
            AuditBreak? problem = null;
            var expectedSequence = (previous?.Sequence ?? 0) + 1;
            if (c.Sequence != expectedSequence)
                problem = Checkpoint(R.CheckpointInconsistent, c, $"Checkpoint {expectedSequence} is missing: the sequence jumps from {expectedSequence - 1} to {c.Sequence}.");
            else if (c.PreviousSequence != previous?.Sequence || c.PreviousRootHash != previous?.RootHash)
                problem = Checkpoint(R.CheckpointInconsistent, c, "The checkpoint does not name its predecessor's sequence and root.");
            else if (!signatures.Verify(c.KeyId, CheckpointStatement.Of(c).ToBytes(), c.Signature))
                problem = Checkpoint(R.CheckpointSignatureInvalid, c, signatures.Knows(c.KeyId)
                    ? "The signature does not verify over the checkpoint's fields: they or the signature were altered."
                    : $"Signed by key {c.KeyId}, which is not a trusted checkpoint key.");
            else if (previous is not null && (c.TreeSize < previous.TreeSize || c.EventCount < previous.EventCount))
                problem = Checkpoint(R.CheckpointTreeShrank, c,
                    $"Tree size {previous.TreeSize} → {c.TreeSize}, event count {previous.EventCount} → {c.EventCount}: a sealed history can only grow.");

            // Apply this checkpoint's delta rows to the running snapshot (rows of unknown checkpoints are skipped by the merge).
            while (hasDelta && deltas.Current.CheckpointSequence < c.Sequence) hasDelta = await deltas.MoveNextAsync();
            while (hasDelta && deltas.Current.CheckpointSequence == c.Sequence)
            {
                var head = deltas.Current;
                if (run.Snapshot.TryGetValue(head.StreamId, out var before) && before.Seq >= head.Seq)
                    problem ??= new AuditBreak(R.CheckpointInconsistent, head.StreamId, head.Seq, c.Sequence,
                        $"The checkpoint seals seq {head.Seq} of the stream after an earlier one sealed seq {before.Seq}.");
                sum += head.Seq - (run.Snapshot.TryGetValue(head.StreamId, out var old) ? old.Seq : 0);
                run.Snapshot[head.StreamId] = new StreamHead(head.StreamId, head.Seq, head.Hash);
                run.Sealed.TryAdd((head.StreamId, head.Seq), (head.Hash, c.Sequence));
                hasDelta = await deltas.MoveNextAsync();
            }
            if (problem is null && (run.Snapshot.Count != c.TreeSize || sum != c.EventCount))
                problem = Checkpoint(R.CheckpointInconsistent, c,
                    $"The sealed heads hold {run.Snapshot.Count} streams and {sum} events; the checkpoint signed {c.TreeSize} and {c.EventCount}.");
            if (problem is null && (everyRoot || i == checkpoints.Count - 1)
                && Convert.ToHexStringLower(MerkleTree.Root(run.Snapshot.Values)) != c.RootHash)
                problem = Checkpoint(R.CheckpointInconsistent, c, "The Merkle root over the sealed heads is not the signed root.");
            if (problem is not null) Run.Add(run.Checkpoints, problem);
            previous = c;
        }
    }

    /// <summary>
    /// Reading and checking run side by side: one task pulls rows off the ordered query in batches, this one hashes
    /// them — on two cores the database's work and the hashing overlap instead of taking turns.
    /// </summary>
    private static async Task<HashSet<string>> VerifyStreamsAsync(IAsyncEnumerable<AuditEventRecord> events, Dictionary<string, (long Seq, string Hash)> heads,
        Run run, CancellationToken ct)
    {
        var batches = Channel.CreateBounded<AuditEventRecord[]>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = Task.Run(async () =>
        {
            try
            {
                var batch = new List<AuditEventRecord>(ReadBatch);
                await foreach (var e in events.WithCancellation(stop.Token))
                {
                    batch.Add(e);
                    if (batch.Count < ReadBatch) continue;
                    await batches.Writer.WriteAsync([.. batch], stop.Token);
                    batch.Clear();
                }
                if (batch.Count > 0) await batches.Writer.WriteAsync([.. batch], stop.Token);
                batches.Writer.Complete();
            }
            catch (Exception e)
            {
                batches.Writer.Complete(e);
            }
        }, CancellationToken.None);

        using var checker = new StreamChecker(heads, run);
        try
        {
            await foreach (var batch in batches.Reader.ReadAllAsync(ct))
                foreach (var e in batch) checker.Check(e);
            checker.Close();
        }
        finally
        {
            await stop.CancelAsync();
            await reader;
        }
        return checker.Seen;
    }

    /// <summary>The per-stream state of the scan: expected seq, the hash the next prevHash must equal.</summary>
    private sealed class StreamChecker(Dictionary<string, (long Seq, string Hash)> heads, Run run) : IDisposable
    {
        private readonly EventHasher _hasher = new();
        private string? _stream;
        private long _expected, _lastSeq;
        private string _prev = AuditChain.Genesis, _lastHash = AuditChain.Genesis;

        public HashSet<string> Seen { get; } = new(StringComparer.Ordinal);

        public void Check(AuditEventRecord e)
        {
            if (!string.Equals(e.StreamId, _stream, StringComparison.Ordinal))
            {
                Close();
                _stream = e.StreamId;
                Seen.Add(_stream);
                _expected = 1;
                _prev = AuditChain.Genesis;
            }
            run.EventsChecked++;
            AuditBreak? problem = null;
            // One problem per event, the first check it fails; after a gap the link check is skipped, so a gap is reported once.
            if (e.Seq != _expected)
                problem = new AuditBreak(R.SeqGap, _stream, _expected, null, e.Seq > _expected
                    ? $"Seq {_expected}{(e.Seq > _expected + 1 ? $"–{e.Seq - 1}" : "")} is missing; the stream continues at {e.Seq}."
                    : $"Seq {e.Seq} appears where {_expected} was expected.");
            else if (!string.Equals(e.PrevHash, _prev, StringComparison.Ordinal))
                problem = new AuditBreak(R.PrevHashMismatch, _stream, e.Seq, null, "prevHash is not the hash of the event before it.");
            else if (!_hasher.Matches(e))
                problem = new AuditBreak(R.HashMismatch, _stream, e.Seq, null, "The stored hash is not SHA-256(prevHash ‖ canonical event JSON): the event was altered.");
            else if (run.Sealed.Remove((e.StreamId, e.Seq), out var sealedHead) && !string.Equals(sealedHead.Hash, e.Hash, StringComparison.Ordinal))
                problem = new AuditBreak(R.CheckpointInconsistent, _stream, e.Seq, sealedHead.Checkpoint,
                    $"Checkpoint {sealedHead.Checkpoint} sealed a different hash for this event: the stream was rewritten after it was sealed.");
            if (problem is not null) Run.Add(run.Streams, problem);
            _prev = e.Hash;
            _expected = e.Seq + 1;
            _lastSeq = e.Seq;
            _lastHash = e.Hash;
        }

        public void Close()
        {
            if (_stream is not null) CloseStream(_stream, _lastSeq, _lastHash, heads, run);
            _stream = null;
        }

        public void Dispose() => _hasher.Dispose();
    }

    private static void CloseStream(string stream, long lastSeq, string lastHash, Dictionary<string, (long Seq, string Hash)> heads, Run run)
    {
        if (!heads.TryGetValue(stream, out var head))
            Run.Add(run.Streams, new AuditBreak(R.HeadMismatch, stream, lastSeq, null, "The stream has events but no head row."));
        else if (head.Seq != lastSeq || !string.Equals(head.Hash, lastHash, StringComparison.Ordinal))
            Run.Add(run.Streams, new AuditBreak(R.HeadMismatch, stream, Math.Max(head.Seq, lastSeq), null, head.Seq > lastSeq
                ? $"The head row names seq {head.Seq}, but the stream ends at {lastSeq}: its newest events were deleted."
                : $"The head row names seq {head.Seq} with another hash than the last event (seq {lastSeq})."));
        // A sealed head beyond the stream's end was deleted after it was sealed.
        if (run.Snapshot.TryGetValue(stream, out var sealedHead) && sealedHead.Seq > lastSeq && run.Sealed.ContainsKey((stream, sealedHead.Seq)))
            Run.Add(run.Streams, new AuditBreak(R.CheckpointInconsistent, stream, sealedHead.Seq, run.Sealed[(stream, sealedHead.Seq)].Checkpoint,
                $"A checkpoint sealed seq {sealedHead.Seq}, but the stream now ends at {lastSeq}."));
    }

    private static void VerifyNothingVanished(Dictionary<string, (long Seq, string Hash)> heads, HashSet<string> seen, Run run)
    {
        foreach (var (stream, head) in heads.Where(h => !seen.Contains(h.Key)).OrderBy(h => h.Key, StringComparer.Ordinal))
            Run.Add(run.Vanished, new AuditBreak(R.MissingStream, stream, head.Seq, null, $"The head row names seq {head.Seq}, but the stream has no events."));
        foreach (var sealedHead in run.Snapshot.Values.Where(h => !seen.Contains(h.StreamId) && !heads.ContainsKey(h.StreamId)).OrderBy(h => h.StreamId, StringComparer.Ordinal))
            Run.Add(run.Vanished, new AuditBreak(R.MissingStream, sealedHead.StreamId, sealedHead.Seq, run.Sealed.TryGetValue((sealedHead.StreamId, sealedHead.Seq), out var s) ? s.Checkpoint : null,
                $"A checkpoint sealed this stream at seq {sealedHead.Seq}; its events and head row are gone."));
    }

    private static AuditBreak Checkpoint(string reason, CheckpointRow c, string detail) => new(reason, null, null, c.Sequence, detail);

    private sealed class Run
    {
        public long EventsChecked;
        public readonly List<AuditBreak> Streams = [];
        public readonly List<AuditBreak> Vanished = [];
        public readonly List<AuditBreak> Checkpoints = [];
        /// <summary>The latest sealed head of every stream.</summary>
        public readonly Dictionary<string, StreamHead> Snapshot = new(StringComparer.Ordinal);
        /// <summary>Every head any checkpoint sealed, until the event scan meets it.</summary>
        public readonly Dictionary<(string StreamId, long Seq), (string Hash, long Checkpoint)> Sealed = [];

        /// <summary>Keeps one more than the report shows, so it can say it was truncated.</summary>
        public static void Add(List<AuditBreak> problems, AuditBreak problem)
        {
            if (problems.Count <= MaxProblems) problems.Add(problem);
        }
    }
}
