using System.Security.Cryptography;
using System.Text;
using ReferralNetwork.Transparency;
using Independent = ReferralNetwork.OfflineVerifier;

namespace ReferralNetwork.Api.Tests.Audit.Log;

/// <summary>
/// The log's Merkle code against the RFC's definitions, exhaustively on small trees: every proof the server's range
/// decomposition produces equals the proof computed straight from RFC 9162's PATH/SUBPROOF over the leaves, and verifies
/// with both the server's verifier and the offline verifier's independent one.
/// </summary>
public sealed class LogTreeTests
{
    private static List<byte[]> Leaves(int n) => Enumerable.Range(0, n).Select(i => LogTree.LeafHash(SHA256.HashData(BitConverter.GetBytes(i)))).ToList();

    private static byte[] Piece(IReadOnlyList<byte[]> leaves, TreeNode node) => LogTree.Mth(leaves, node.Start, node.End);

    /// <summary>RFC 9162 §2.1.3.1 straight from its definition.</summary>
    private static List<byte[]> RfcPath(IReadOnlyList<byte[]> d, long m, long start, long end)
    {
        if (end - start == 1) return [];
        var k = LogTree.SplitPoint(end - start);
        return m < k ? [.. RfcPath(d, m, start, start + k), LogTree.Mth(d, start + k, end)] : [.. RfcPath(d, m - k, start + k, end), LogTree.Mth(d, start, start + k)];
    }

    /// <summary>RFC 9162 §2.1.4.1 straight from its definition.</summary>
    private static List<byte[]> RfcSubProof(IReadOnlyList<byte[]> d, long m, long start, long end, bool b)
    {
        var n = end - start;
        if (m == n) return b ? [] : [LogTree.Mth(d, start, end)];
        var k = LogTree.SplitPoint(n);
        return m <= k
            ? [.. RfcSubProof(d, m, start, start + k, b), LogTree.Mth(d, start + k, end)]
            : [.. RfcSubProof(d, m - k, start + k, end, false), LogTree.Mth(d, start, start + k)];
    }

    [Fact]
    public void Every_inclusion_and_consistency_proof_of_every_size_up_to_130_matches_the_rfc_and_verifies()
    {
        const int max = 130;
        var leaves = Leaves(max);
        var roots = Enumerable.Range(0, max + 1).Select(n => n == 0 ? LogTree.EmptyRoot() : LogTree.Mth(leaves, 0, n)).ToList();
        long checkedProofs = 0;
        for (var n = 1; n <= max; n++)
        {
            Assert.Equal(Independent.Tree.Root(leaves, n), roots[n]);
            for (var m = 0; m < n; m++)
            {
                var path = LogTree.InclusionRanges(m, n).Select(r => LogTree.RangeHash(r.Start, r.End, p => Piece(leaves, p))).ToList();
                Assert.Equal(RfcPath(leaves, m, 0, n), path);
                Assert.True(LogTree.VerifyInclusion(m, n, leaves[m], path, roots[n]), $"inclusion {m} in {n}");
                Assert.True(Independent.Tree.Inclusion(m, n, leaves[m], path, roots[n]), $"independent inclusion {m} in {n}");
                Assert.False(LogTree.VerifyInclusion(m, n, leaves[(m + 1) % max], path, roots[n]) && leaves[(m + 1) % max] != leaves[m]);
                checkedProofs++;
            }
            for (var m = 1; m <= n; m++)
            {
                var proof = LogTree.ConsistencyRanges(m, n).Select(r => LogTree.RangeHash(r.Start, r.End, p => Piece(leaves, p))).ToList();
                Assert.Equal(m == n ? [] : RfcSubProof(leaves, m, 0, n, true), proof);
                Assert.True(LogTree.VerifyConsistency(m, n, roots[m], roots[n], proof), $"consistency {m} → {n}");
                if (m < n) Assert.False(LogTree.VerifyConsistency(m, n, roots[m == 1 ? 2 : m - 1], roots[n], proof), $"a wrong old root passes {m} → {n}");
                checkedProofs++;
            }
        }
        Assert.True(checkedProofs > 16_000);
    }

    [Fact]
    public void A_tampered_proof_hash_or_a_wrong_size_fails()
    {
        var leaves = Leaves(37);
        var root = LogTree.Mth(leaves, 0, 37);
        var path = LogTree.InclusionRanges(12, 37).Select(r => LogTree.Mth(leaves, r.Start, r.End)).ToList();
        Assert.True(LogTree.VerifyInclusion(12, 37, leaves[12], path, root));
        var tampered = path.Select(p => p.ToArray()).ToList();
        tampered[2][0] ^= 1;
        Assert.False(LogTree.VerifyInclusion(12, 37, leaves[12], tampered, root));
        Assert.False(Independent.Tree.Inclusion(12, 37, leaves[12], tampered, root));
        Assert.False(LogTree.VerifyInclusion(13, 37, leaves[12], path, root));
        Assert.False(LogTree.VerifyInclusion(37, 37, leaves[12], path, root));

        var proof = LogTree.ConsistencyRanges(20, 37).Select(r => LogTree.Mth(leaves, r.Start, r.End)).ToList();
        var old = LogTree.Mth(leaves, 0, 20);
        Assert.True(LogTree.VerifyConsistency(20, 37, old, root, proof));
        Assert.False(LogTree.VerifyConsistency(20, 37, old, root, proof.Skip(1).ToList()));
        Assert.False(LogTree.VerifyConsistency(21, 37, old, root, proof));
        // A fork: leaf 5 differs. Its tree of 37 does not extend the old head of 20, whatever proof it gives.
        var fork = leaves.ToList();
        fork[5] = LogTree.LeafHash([1, 2, 3]);
        var forkProof = LogTree.ConsistencyRanges(20, 37).Select(r => LogTree.Mth(fork, r.Start, r.End)).ToList();
        Assert.False(LogTree.VerifyConsistency(20, 37, old, LogTree.Mth(fork, 0, 37), forkProof));
        Assert.True(LogTree.VerifyConsistency(0, 37, [], root, []));
        Assert.False(LogTree.VerifyConsistency(0, 37, [], root, [root]));
    }

    [Fact]
    public void The_frontier_stores_every_perfect_subtree_and_gives_the_root_of_every_size()
    {
        var leaves = Leaves(300);
        var frontier = new LogFrontier(0, []);
        var stored = new Dictionary<TreeNode, byte[]>();
        for (var i = 0; i < leaves.Count; i++)
        {
            foreach (var (node, hash) in frontier.Append(leaves[i])) stored.Add(node, hash);
            Assert.Equal(LogTree.Mth(leaves, 0, i + 1), frontier.Root());
            // Restarting from the stored edge gives the same tree (what the sequencer does on its next batch).
            var again = new LogFrontier(i + 1, LogFrontier.EdgeOf(i + 1).Select(n => (n, stored[n])));
            Assert.Equal(frontier.Root(), again.Root());
        }
        foreach (var (node, hash) in stored) Assert.Equal(LogTree.Mth(leaves, node.Start, node.End), hash);
        Assert.Equal(2 * leaves.Count - BitOperationsPopCount(leaves.Count), stored.Count);
    }

    private static int BitOperationsPopCount(int n) => System.Numerics.BitOperations.PopCount((uint)n);

    [Fact]
    public void The_signed_note_example_of_the_c2sp_spec_verifies_and_a_changed_text_does_not()
    {
        // c2sp.org/signed-note, "Verifier keys / Example".
        var (name, key) = NoteKeys.ParseVerifierKey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", NoteKeys.Ed25519);
        var note = SignedNote.Parse("This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n");
        Assert.True(NoteSigner.Verify(name, key, note.Text, note.Signatures[0]));
        Assert.False(NoteSigner.Verify(name, key, "This is an example message!\n", note.Signatures[0]));
        var independent = Independent.VerifierKey.Parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
        Assert.Equal(0x530d903au, independent.KeyId);
        Assert.Throws<FormatException>(() => NoteKeys.ParseVerifierKey("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", NoteKeys.Ed25519));
    }

    [Fact]
    public void A_checkpoint_is_signed_and_cosigned_as_c2sp_specifies_and_the_offline_verifier_agrees()
    {
        using var logKey = Ed25519Key.FromPem(Ed25519Key.NewPem());
        using var witnessKey = Ed25519Key.FromPem(Ed25519Key.NewPem());
        var log = new NoteSigner("test.example/log", logKey);
        var witness = new Cosigner("test.example/witness", witnessKey);
        var checkpoint = new Checkpoint("test.example/log", 20852163, Convert.FromBase64String("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="));
        Assert.Equal("test.example/log\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", checkpoint.Text());
        var signed = new SignedNote(checkpoint.Text(), [log.Sign(checkpoint.Text()), witness.Cosign(checkpoint.Text(), 1679315147)]).ToString();
        Assert.StartsWith(checkpoint.Text() + "\n\u2014 test.example/log ", signed);

        var parsed = SignedNote.Parse(signed);
        var reread = Checkpoint.Parse(parsed.Text);
        Assert.Equal((checkpoint.Origin, checkpoint.Size, Convert.ToBase64String(checkpoint.Root)), (reread.Origin, reread.Size, Convert.ToBase64String(reread.Root)));
        Assert.Empty(reread.Extensions);
        Assert.Equal(1679315147, Cosigner.Verify(witness.Name, witnessKey.PublicKey, parsed.Text, parsed.Signatures[1]));
        Assert.Equal(72, parsed.Signatures[1].Signature.Length);
        var message = Encoding.UTF8.GetString(Cosigner.Message(parsed.Text, 1679315147));
        Assert.Equal("cosignature/v1\ntime 1679315147\ntest.example/log\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", message);

        var note = Independent.Note.Parse(signed);
        Assert.True(Independent.VerifierKey.Parse(log.VerifierKey).Signed(note, out _));
        Assert.True(Independent.VerifierKey.Parse(witness.VerifierKey).Signed(note, out var time));
        Assert.Equal(1679315147, time);
        Assert.False(Independent.VerifierKey.Parse(witness.VerifierKey).Signed(Independent.Note.Parse(signed.Replace("20852163", "20852164")), out _));
    }
}
