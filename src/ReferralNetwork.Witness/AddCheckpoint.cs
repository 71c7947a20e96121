using System.Globalization;
using ReferralNetwork.Transparency;

namespace ReferralNetwork.Witness;

/// <summary>The outcome of one add-checkpoint request: status, body and content type, as c2sp.org/tlog-witness prescribes.</summary>
public sealed record WitnessAnswer(int Status, string Body, string ContentType = "text/plain; charset=utf-8")
{
    public static WitnessAnswer Size(long size) => new(409, size.ToString(CultureInfo.InvariantCulture) + "\n", "text/x.tlog.size");
}

/// <summary>A log the witness knows: its origin and the Ed25519 key its checkpoints must be signed with.</summary>
public sealed record KnownLog(string Origin, byte[] PublicKey);

/// <summary>
/// c2sp.org/tlog-witness <c>add-checkpoint</c>: verify the log's signature, then — atomically with the stored state —
/// that the old size is the size last cosigned (409 with that size if not), that the consistency proof from the stored
/// root to the new one holds (422 if not), then cosign (Ed25519 cosignature/v1), persist, and answer the cosignature.
/// </summary>
public sealed class AddCheckpoint(Cosigner cosigner, IReadOnlyDictionary<string, KnownLog> logs, WitnessState state, TimeProvider time, ILogger<AddCheckpoint> logger)
{
    public const int MaxProofLines = 63;

    public async Task<WitnessAnswer> HandleAsync(string body)
    {
        if (!TryParse(body, out var old, out var proof, out var noteText, out var error)) return new WitnessAnswer(400, error + "\n");
        SignedNote note;
        Checkpoint checkpoint;
        try
        {
            note = SignedNote.Parse(noteText);
            checkpoint = Checkpoint.Parse(note.Text);
        }
        catch (FormatException e)
        {
            return new WitnessAnswer(400, e.Message + "\n");
        }
        if (!logs.TryGetValue(checkpoint.Origin, out var log)) return new WitnessAnswer(404, "unknown log origin\n");

        // Signatures from unknown keys are ignored; one from the log's key that fails makes the note malformed.
        var keyId = NoteKeys.KeyId(log.Origin, NoteKeys.Ed25519, log.PublicKey);
        var ours = note.Signatures.Where(s => s.KeyName == log.Origin && s.KeyId == keyId).ToList();
        if (ours.Count == 0 || !ours.All(s => NoteSigner.Verify(log.Origin, log.PublicKey, note.Text, s)))
            return new WitnessAnswer(403, "the checkpoint is not signed by the log's key\n");
        if (old > checkpoint.Size) return new WitnessAnswer(400, "the old size is larger than the checkpoint's\n");

        return await state.UpdateAsync(log.Origin, stored =>
        {
            var storedSize = stored?.Size ?? 0;
            if (old != storedSize)
            {
                logger.LogWarning("Refused a checkpoint of {Origin} at size {Size}: old size {Old}, but the latest cosigned is {Stored}.", log.Origin, checkpoint.Size, old, storedSize);
                return (null, WitnessAnswer.Size(storedSize));
            }
            if (checkpoint.Size == 0 && !checkpoint.Root.AsSpan().SequenceEqual(LogTree.EmptyRoot()))
                return (null, new WitnessAnswer(422, "an empty tree has the root of the empty string\n"));
            var oldRoot = stored is null ? LogTree.EmptyRoot() : Convert.FromBase64String(stored.Root);
            if (!LogTree.VerifyConsistency(old, checkpoint.Size, oldRoot, checkpoint.Root, proof))
            {
                logger.LogError("Refused a checkpoint of {Origin} at size {Size}: it is not consistent with the cosigned size {Stored} (a fork or a rewrite of the log).",
                    log.Origin, checkpoint.Size, storedSize);
                return (null, new WitnessAnswer(422, "the consistency proof does not verify\n"));
            }
            var cosignature = cosigner.Cosign(note.Text, time.GetUtcNow().ToUnixTimeSeconds());
            var kept = new SignedNote(note.Text, [.. ours, cosignature]).ToString();
            logger.LogInformation("Cosigned {Origin} at size {Size}.", log.Origin, checkpoint.Size);
            return (new LogState(checkpoint.Size, Convert.ToBase64String(checkpoint.Root), kept), new WitnessAnswer(200, cosignature.Line()));
        });
    }

    private static bool TryParse(string body, out long old, out List<byte[]> proof, out string note, out string error)
    {
        old = 0;
        proof = [];
        note = "";
        error = "";
        var end = body.IndexOf('\n');
        if (end < 0 || !body.StartsWith("old ", StringComparison.Ordinal)) { error = "the body starts with an old size line"; return false; }
        var size = body[4..end];
        if (!long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out old) || (size.Length > 1 && size[0] == '0')) { error = "the old size is a decimal without leading zeroes"; return false; }
        var position = end + 1;
        while (true)
        {
            var next = body.IndexOf('\n', position);
            if (next < 0) { error = "the proof is followed by an empty line and the checkpoint"; return false; }
            var line = body[position..next];
            position = next + 1;
            if (line.Length == 0) break;
            if (proof.Count == MaxProofLines) { error = "at most 63 consistency proof lines"; return false; }
            try { proof.Add(Convert.FromBase64String(line)); }
            catch (FormatException) { error = "a proof line is one base64 hash"; return false; }
            if (proof[^1].Length != LogTree.HashSize) { error = "a proof line is one SHA-256 hash"; return false; }
        }
        note = body[position..];
        return true;
    }
}
