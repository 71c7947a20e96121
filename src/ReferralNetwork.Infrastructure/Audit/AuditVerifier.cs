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
/// <item>every event with its stream's head row beside it (a LEFT JOIN), in one unbuffered query ordered by
/// (stream_id, seq): seq contiguous from 1, prevHash linking, the hash recomputed, the head row naming the last event, and — the consistency of the checkpoints with the log
/// as it is now — every head a checkpoint ever sealed still being an event of its stream with that same hash, so the
/// sealed history is a prefix of today's.</item>
/// <item>the number of head rows, and only when more heads exist than streams with events, the heads without events;</item>
/// <item>every referral's events replayed against the tables auditors read (<see cref="ProjectionVerifier"/>, one statement),
/// and every attachment row held to its <c>attachment.added</c> event (<see cref="AttachmentVerifier"/>);</item>
/// <item>every person's merges replayed against <c>persons.merged_into_id</c> (<see cref="PersonMergeVerifier"/>).</item>
/// </list>
/// An anchor (a checkpoint's sequence and root the auditor kept outside the database) must still be there with that
/// root, recomputed over its sealed heads; the scan then holds today's events to those heads as to every sealed head.
/// Memory does not grow with the number of streams (only with the checkpoints' sealed heads): the heads come with the
/// events instead of being loaded into a dictionary, which with 2,000,000 streams held well over a gigabyte.
/// Each event and each checkpoint yields at most one problem (the first check it fails); each disagreeing projection row
/// one. The report lists stream problems first (in scan order), then streams that vanished, then projection rows (by
/// referral), then checkpoint problems, then the anchor's.
/// Limits, by design: deleting a whole stream that no checkpoint has sealed yet, or the newest checkpoint itself,
/// leaves nothing in the database to compare with — which is why checkpoints are published and exported, and why verify
/// takes an anchor an auditor kept.
/// </summary>
public sealed class AuditVerifier(IDbSession session, CheckpointKeys keys) : IAuditVerifier
{
    public const int MaxProblems = 100;
    private const int ReadBatch = 512;

    public async Task<AuditVerificationView> VerifyAsync(bool everyRoot, CheckpointAnchor? anchor, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var connection = await session.ConnectionAsync(ct);
        var run = new Run { Anchor = anchor };

        var checkpoints = new List<CheckpointRow>();
        StreamChecker? scan = null;
        IReadOnlyList<(string StreamId, long Seq)> headless = [];
        int sealedOnly = 0;
        long referrals = 0;
        var reading = "audit_checkpoints";
        try
        {
            checkpoints = (await connection.QueryAsync<CheckpointRow>(new CommandDefinition(
                $"SELECT {CheckpointRow.Columns} FROM audit_checkpoints ORDER BY sequence", cancellationToken: ct))).ToList();
            reading = "audit_checkpoint_heads";
            var deltas = connection.QueryUnbufferedAsync<CheckpointHeadRow>(
                "SELECT checkpoint_sequence AS CheckpointSequence, stream_id AS StreamId, seq, hash FROM audit_checkpoint_heads ORDER BY checkpoint_sequence, stream_id",
                commandTimeout: 0);
            await using (var enumerator = deltas.GetAsyncEnumerator(ct))
                await VerifyCheckpointsAsync(checkpoints, enumerator, everyRoot, run);

            // The head's hash comes only on the row it names (at most one per stream), so the join adds no string per event.
            reading = "audit_events";
            var events = connection.QueryUnbufferedAsync<EventRow>("""
                SELECT e.stream_id AS StreamId, e.seq, e.occurred_at AS OccurredAt, e.principal_id AS PrincipalId, e.organisation_id AS OrganisationId,
                       e.role, e.type, e.data, e.prev_hash AS PrevHash, e.hash,
                       h.seq AS HeadSeq, CASE WHEN h.seq = e.seq THEN h.hash END AS HeadHash
                FROM audit_events e LEFT JOIN audit_stream_heads h ON h.stream_id = e.stream_id
                ORDER BY e.stream_id, e.seq
                """, commandTimeout: 0);
            scan = await VerifyStreamsAsync(events, run, ct);

            // Every head row either met its stream in the scan or names a stream without events.
            reading = "audit_stream_heads";
            var headRows = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM audit_stream_heads", cancellationToken: ct));
            headless = headRows == scan.HeadsMet ? [] : (await connection.QueryAsync<(string StreamId, long Seq)>(new CommandDefinition("""
                SELECT h.stream_id, h.seq FROM audit_stream_heads h
                WHERE NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.stream_id = h.stream_id)
                """, commandTimeout: 0, cancellationToken: ct))).OrderBy(h => h.StreamId, StringComparer.Ordinal).ToList();

            sealedOnly = VerifyNothingVanished(headless, scan.SeenSealed, run);
            reading = "audit_events, responsibility_periods, referral_duties or deadline_breaches (the projection replay)";
            referrals = await ProjectionVerifier.VerifyAsync(connection, problem => Run.Add(run.Projections, problem), ct);
            reading = "audit_events or persons (the merges)";
            await PersonMergeVerifier.VerifyAsync(connection, problem => Run.Add(run.Projections, problem), ct);
            reading = "audit_events or attachments (the attachments' facts)";
            await AttachmentVerifier.VerifyAsync(connection, problem => Run.Add(run.Projections, problem), ct);
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            // Not a 500: a value the API never writes is itself the finding. What was found up to here stays in the report.
            run.Unreadable.Add(new AuditBreak(R.UnreadableRow, null, null, null,
                $"A row of {reading} holds a value that cannot be read as its column's type (a time, an id or a number that is not one): the table " +
                "was written outside the API. Verify stopped there; find the row with the database's own tools, then verify again."));
        }
        var anchorView = AnchorOutcome(anchor, run);
        var problems = run.Streams.Concat(run.Vanished).Concat(run.Projections).Concat(run.Checkpoints).Concat(run.AnchorProblems).Concat(run.Unreadable).ToList();
        var streams = (scan?.Streams ?? 0) + headless.Count + sealedOnly;
        var latest = checkpoints.Count == 0 ? null : new CheckpointAnchor(checkpoints[^1].Sequence, checkpoints[^1].RootHash);
        return new AuditVerificationView(problems.Count == 0, run.EventsChecked, streams, checkpoints.Count,
            problems.FirstOrDefault(), problems.Take(MaxProblems).ToList(), problems.Count > MaxProblems, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            referrals, latest, anchorView);
    }

    /// <summary>Dapper's "error parsing column …" and the conversions beneath it: a stored value that is not of its column's type.</summary>
    private static bool IsUnreadable(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is System.Data.DataException or FormatException or InvalidCastException or OverflowException) return true;
        return false;
    }

    /// <summary>The anchor's verdict, decided while the checkpoints were read; a missing checkpoint is decided here.</summary>
    private static AuditAnchorView? AnchorOutcome(CheckpointAnchor? anchor, Run run)
    {
        if (anchor is null) return null;
        var detail = run.AnchorDetail ?? $"Checkpoint {anchor.Checkpoint} is not in the database: the checkpoints were rolled back behind the anchor (or never reached it).";
        var ok = run.AnchorOk;
        if (!ok) run.AnchorProblems.Add(new AuditBreak(R.AnchorMismatch, null, null, anchor.Checkpoint, detail));
        return new AuditAnchorView(anchor.Checkpoint, anchor.Root, ok, detail);
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
            var anchored = c.Sequence == run.Anchor?.Checkpoint;
            var root = everyRoot || anchored || i == checkpoints.Count - 1 ? Convert.ToHexStringLower(MerkleTree.Root(run.Snapshot.Values)) : null;
            if (problem is null && root is not null && root != c.RootHash)
                problem = Checkpoint(R.CheckpointInconsistent, c, "The Merkle root over the sealed heads is not the signed root.");
            if (anchored) AnchorAt(c, root!, run);
            if (problem is not null) Run.Add(run.Checkpoints, problem);
            previous = c;
        }
    }

    /// <summary>
    /// Reading and checking run side by side: one task pulls rows off the ordered query in batches, this one hashes
    /// them — on two cores the database's work and the hashing overlap instead of taking turns.
    /// </summary>
    private static async Task<StreamChecker> VerifyStreamsAsync(IAsyncEnumerable<EventRow> events, Run run, CancellationToken ct)
    {
        var batches = Channel.CreateBounded<EventRow[]>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = Task.Run(async () =>
        {
            try
            {
                var batch = new List<EventRow>(ReadBatch);
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

        var checker = new StreamChecker(run);
        try
        {
            await foreach (var batch in batches.Reader.ReadAllAsync(ct))
                foreach (var e in batch) checker.Check(e);
            checker.Close();
        }
        finally
        {
            checker.Dispose();
            await stop.CancelAsync();
            await reader;
        }
        return checker;
    }

    /// <summary>An event row with its stream's head (null when the stream has no head row; the hash only on the row it names).</summary>
    private sealed record EventRow
    {
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
        public long? HeadSeq { get; init; }
        public string? HeadHash { get; init; }

        public AuditEventRow ToRecord() => new()
        {
            StreamId = StreamId, Seq = Seq, OccurredAt = OccurredAt, PrincipalId = PrincipalId, OrganisationId = OrganisationId, Role = Role, Type = Type,
            Data = Data, PrevHash = PrevHash, Hash = Hash,
        };
    }

    /// <summary>The per-stream state of the scan: expected seq, the hash the next prevHash must equal.</summary>
    private sealed class StreamChecker(Run run) : IDisposable
    {
        private readonly EventHasher _hasher = new();
        private string? _stream;
        private long _expected, _lastSeq;
        private long? _headSeq;
        private string? _headHash;
        private string _prev = AuditChain.Genesis, _lastHash = AuditChain.Genesis;

        /// <summary>Streams with events.</summary>
        public long Streams { get; private set; }

        /// <summary>Streams with events that have a head row.</summary>
        public long HeadsMet { get; private set; }

        /// <summary>The streams a checkpoint sealed that the scan met (only those: the rest need no set).</summary>
        public HashSet<string> SeenSealed { get; } = new(StringComparer.Ordinal);

        public void Check(EventRow row)
        {
            var e = row.ToRecord();
            if (!string.Equals(e.StreamId, _stream, StringComparison.Ordinal))
            {
                Close();
                _stream = e.StreamId;
                Streams++;
                if (row.HeadSeq is not null) HeadsMet++;
                if (run.Snapshot.ContainsKey(_stream)) SeenSealed.Add(_stream);
                _headSeq = row.HeadSeq;
                _headHash = null;
                _expected = 1;
                _prev = AuditChain.Genesis;
            }
            if (row.HeadHash is not null) _headHash = row.HeadHash;
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
            if (_stream is not null) CloseStream(_stream, _lastSeq, _lastHash, _headSeq, _headHash, run);
            _stream = null;
        }

        public void Dispose() => _hasher.Dispose();
    }

    /// <param name="headHash">The head row's hash if it names an event of the stream (it came on that event's row).</param>
    private static void CloseStream(string stream, long lastSeq, string lastHash, long? headSeq, string? headHash, Run run)
    {
        if (headSeq is not { } head)
            Run.Add(run.Streams, new AuditBreak(R.HeadMismatch, stream, lastSeq, null, "The stream has events but no head row."));
        else if (head != lastSeq || !string.Equals(headHash, lastHash, StringComparison.Ordinal))
            Run.Add(run.Streams, new AuditBreak(R.HeadMismatch, stream, Math.Max(head, lastSeq), null, head > lastSeq
                ? $"The head row names seq {head}, but the stream ends at {lastSeq}: its newest events were deleted."
                : $"The head row names seq {head} with another hash than the last event (seq {lastSeq})."));
        // A sealed head beyond the stream's end was deleted after it was sealed.
        if (run.Snapshot.TryGetValue(stream, out var sealedHead) && sealedHead.Seq > lastSeq && run.Sealed.ContainsKey((stream, sealedHead.Seq)))
            Run.Add(run.Streams, new AuditBreak(R.CheckpointInconsistent, stream, sealedHead.Seq, run.Sealed[(stream, sealedHead.Seq)].Checkpoint,
                $"A checkpoint sealed seq {sealedHead.Seq}, but the stream now ends at {lastSeq}."));
    }

    /// <summary>Reports head rows without events, then sealed streams with neither; returns how many of the latter.</summary>
    /// <param name="headless">The head rows whose stream has no events, in ordinal order of stream.</param>
    /// <param name="seenSealed">The sealed streams the scan met.</param>
    private static int VerifyNothingVanished(IReadOnlyList<(string StreamId, long Seq)> headless, HashSet<string> seenSealed, Run run)
    {
        foreach (var (stream, seq) in headless)
            Run.Add(run.Vanished, new AuditBreak(R.MissingStream, stream, seq, null, $"The head row names seq {seq}, but the stream has no events."));
        var headlessStreams = headless.Select(h => h.StreamId).ToHashSet(StringComparer.Ordinal);
        var gone = run.Snapshot.Values.Where(h => !seenSealed.Contains(h.StreamId) && !headlessStreams.Contains(h.StreamId)).OrderBy(h => h.StreamId, StringComparer.Ordinal).ToList();
        foreach (var sealedHead in gone)
            Run.Add(run.Vanished, new AuditBreak(R.MissingStream, sealedHead.StreamId, sealedHead.Seq, run.Sealed.TryGetValue((sealedHead.StreamId, sealedHead.Seq), out var s) ? s.Checkpoint : null,
                $"A checkpoint sealed this stream at seq {sealedHead.Seq}; its events and head row are gone."));
        return gone.Count;
    }

    private static AuditBreak Checkpoint(string reason, CheckpointRow c, string detail) => new(reason, null, null, c.Sequence, detail);

    /// <param name="root">The Merkle root recomputed over the checkpoint's sealed heads.</param>
    private static void AnchorAt(CheckpointRow c, string root, Run run)
    {
        var anchor = run.Anchor!;
        run.AnchorOk = c.RootHash == anchor.Root && root == anchor.Root;
        run.AnchorDetail = run.AnchorOk
            ? $"Checkpoint {c.Sequence} is in the database with the anchored root, recomputed over its sealed heads; today's events are checked against those heads."
            : c.RootHash != anchor.Root
                ? $"Checkpoint {c.Sequence} has root {c.RootHash}, not the anchored {anchor.Root}: the checkpoints were rolled back and sealed again over another history."
                : $"Checkpoint {c.Sequence} names the anchored root, but its sealed heads hash to {root}: the heads it sealed were rewritten.";
    }

    private sealed class Run
    {
        public long EventsChecked;
        public readonly List<AuditBreak> Streams = [];
        public readonly List<AuditBreak> Vanished = [];
        public readonly List<AuditBreak> Checkpoints = [];
        public readonly List<AuditBreak> Projections = [];
        public readonly List<AuditBreak> AnchorProblems = [];
        public readonly List<AuditBreak> Unreadable = [];
        public CheckpointAnchor? Anchor;
        /// <summary>Set when the anchored checkpoint was met; null if it is not in the database.</summary>
        public string? AnchorDetail;
        public bool AnchorOk;
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
