using System.Numerics;
using System.Security.Cryptography;

namespace ReferralNetwork.Transparency;

/// <summary>A perfect, aligned subtree of the log: leaves [index·2^level, (index+1)·2^level). Level 0 is a leaf.</summary>
public readonly record struct TreeNode(int Level, long Index)
{
    public long Start => Index << Level;
    public long End => (Index + 1) << Level;
}

/// <summary>
/// The Merkle tree of a transparency log as RFC 6962 §2.1 / RFC 9162 §2.1 define it: leaf hash =
/// SHA-256(0x00 ‖ entry), node hash = SHA-256(0x01 ‖ left ‖ right), a tree of n &gt; 1 leaves split at k, the largest
/// power of two smaller than n; the empty tree's root is SHA-256 of nothing. Proofs are produced as lists of leaf
/// ranges whose tree hashes make up the proof (<see cref="InclusionRanges"/>, <see cref="ConsistencyRanges"/>); a range
/// of a proof always splits into perfect aligned subtrees (<see cref="Pieces"/>), which is what a log stores.
/// </summary>
public static class LogTree
{
    public const int HashSize = 32;

    public static byte[] EmptyRoot() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    public static byte[] LeafHash(ReadOnlySpan<byte> entry)
    {
        var buffer = new byte[1 + entry.Length];
        entry.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[1 + 2 * HashSize];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + HashSize)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>The largest power of two smaller than n (n ≥ 2).</summary>
    public static long SplitPoint(long n) => 1L << (63 - BitOperations.LeadingZeroCount((ulong)(n - 1)));

    /// <summary>RFC 9162 §2.1.3.1 PATH(m, D[0:n]): the ranges whose hashes form the inclusion proof, leaf's sibling first.</summary>
    public static IReadOnlyList<(long Start, long End)> InclusionRanges(long index, long size)
    {
        if (index < 0 || index >= size) throw new ArgumentOutOfRangeException(nameof(index), $"index {index} is not below size {size}.");
        var ranges = new List<(long, long)>();
        Path(index, 0, size, ranges);
        return ranges;
    }

    private static void Path(long m, long start, long end, List<(long, long)> into)
    {
        var n = end - start;
        if (n == 1) return;
        var k = SplitPoint(n);
        if (m < k)
        {
            Path(m, start, start + k, into);
            into.Add((start + k, end));
        }
        else
        {
            Path(m - k, start + k, end, into);
            into.Add((start, start + k));
        }
    }

    /// <summary>RFC 9162 §2.1.4.1 PROOF(m, D[0:n]): the ranges of the consistency proof from size m to size n (0 &lt; m ≤ n).</summary>
    public static IReadOnlyList<(long Start, long End)> ConsistencyRanges(long from, long to)
    {
        if (from < 0 || from > to) throw new ArgumentOutOfRangeException(nameof(from), $"from {from} is not within 0..{to}.");
        var ranges = new List<(long, long)>();
        if (from == 0 || from == to) return ranges;
        SubProof(from, 0, to, true, ranges);
        return ranges;
    }

    private static void SubProof(long m, long start, long end, bool complete, List<(long, long)> into)
    {
        var n = end - start;
        if (m == n)
        {
            if (!complete) into.Add((start, end));
            return;
        }
        var k = SplitPoint(n);
        if (m <= k)
        {
            SubProof(m, start, start + k, complete, into);
            into.Add((start + k, end));
        }
        else
        {
            SubProof(m - k, start + k, end, false, into);
            into.Add((start, start + k));
        }
    }

    /// <summary>
    /// The perfect aligned subtrees that make up [start, end), left to right. Every range RFC 9162's recursion visits
    /// begins at a multiple of the power of two it splits at, so the pieces are: the largest aligned perfect subtree at
    /// start that fits, then the same for the rest.
    /// </summary>
    public static IReadOnlyList<TreeNode> Pieces(long start, long end)
    {
        var pieces = new List<TreeNode>();
        while (start < end)
        {
            // The largest 2^level ≤ end − start that start is aligned to.
            var level = 63 - BitOperations.LeadingZeroCount((ulong)(end - start));
            while (level > 0 && (start & ((1L << level) - 1)) != 0) level--;
            pieces.Add(new TreeNode(level, start >> level));
            start += 1L << level;
        }
        return pieces;
    }

    private static bool IsPowerOfTwo(long n) => n > 0 && (n & (n - 1)) == 0;

    /// <summary>The tree hash of [start, end) from its pieces' hashes (right to left, as the RFC's split combines them).</summary>
    public static byte[] RangeHash(long start, long end, Func<TreeNode, byte[]> piece)
    {
        var pieces = Pieces(start, end);
        var hash = piece(pieces[^1]);
        for (var i = pieces.Count - 2; i >= 0; i--) hash = NodeHash(piece(pieces[i]), hash);
        return hash;
    }

    /// <summary>The root of a whole tree given every leaf hash (for tests and small trees), by the RFC's recursion.</summary>
    public static byte[] RootOf(IReadOnlyList<byte[]> leaves) => leaves.Count == 0 ? EmptyRoot() : Mth(leaves, 0, leaves.Count);

    public static byte[] Mth(IReadOnlyList<byte[]> leaves, long start, long end)
    {
        if (end - start == 1) return leaves[(int)start];
        var k = SplitPoint(end - start);
        return NodeHash(Mth(leaves, start, start + k), Mth(leaves, start + k, end));
    }

    /// <summary>RFC 9162 §2.1.3.2: does the path prove the leaf hash at index in the tree of size with this root?</summary>
    public static bool VerifyInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> path, ReadOnlySpan<byte> root)
    {
        if (index < 0 || index >= size) return false;
        long fn = index, sn = size - 1;
        var r = leafHash.ToArray();
        foreach (var p in path)
        {
            if (p.Length != HashSize || sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                if ((fn & 1) == 0)
                    while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
            }
            else r = NodeHash(r, p);
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r.AsSpan().SequenceEqual(root);
    }

    /// <summary>RFC 9162 §2.1.4.2: does the proof show the tree of size from (oldRoot) is a prefix of the tree of size to (newRoot)?
    /// From 0 any tree is consistent with an empty proof (C2SP tlog-witness); equal sizes need equal roots and an empty proof.</summary>
    public static bool VerifyConsistency(long from, long to, ReadOnlySpan<byte> oldRoot, ReadOnlySpan<byte> newRoot, IReadOnlyList<byte[]> proof)
    {
        if (from < 0 || from > to) return false;
        if (from == 0) return proof.Count == 0;
        if (from == to) return proof.Count == 0 && oldRoot.SequenceEqual(newRoot);
        if (proof.Count == 0 || proof.Any(p => p.Length != HashSize)) return false;
        var path = new List<byte[]>(proof);
        if (IsPowerOfTwo(from)) path.Insert(0, oldRoot.ToArray());
        long fn = from - 1, sn = to - 1;
        while ((fn & 1) == 1) { fn >>= 1; sn >>= 1; }
        byte[] fr = path[0], sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = NodeHash(c, fr);
                sr = NodeHash(c, sr);
                if ((fn & 1) == 0)
                    while ((fn & 1) == 0 && fn != 0) { fn >>= 1; sn >>= 1; }
            }
            else sr = NodeHash(sr, c);
            fn >>= 1;
            sn >>= 1;
        }
        return fr.AsSpan().SequenceEqual(oldRoot) && sr.AsSpan().SequenceEqual(newRoot) && sn == 0;
    }
}

/// <summary>
/// The right edge of a growing tree: the perfect subtrees of its size's binary decomposition, largest first. Appending
/// a leaf merges equal-sized subtrees and reports every node it completes (what a log stores); the root is the fold of
/// the edge from the right.
/// </summary>
public sealed class LogFrontier
{
    private readonly List<(TreeNode Node, byte[] Hash)> _edge;

    public LogFrontier(long size, IEnumerable<(TreeNode Node, byte[] Hash)> edge)
    {
        Size = size;
        _edge = edge.ToList();
        if (!_edge.Select(e => e.Node).SequenceEqual(EdgeOf(size))) throw new ArgumentException($"The edge does not match a tree of size {size}.", nameof(edge));
    }

    public long Size { get; private set; }

    /// <summary>The nodes that make up the right edge of a tree of this size (largest first).</summary>
    public static IReadOnlyList<TreeNode> EdgeOf(long size) => size == 0 ? [] : LogTree.Pieces(0, size);

    /// <summary>Appends a leaf hash; returns the nodes completed by it (the leaf itself first, then the merged parents).</summary>
    public IReadOnlyList<(TreeNode Node, byte[] Hash)> Append(byte[] leafHash)
    {
        var completed = new List<(TreeNode, byte[])>();
        var current = (Node: new TreeNode(0, Size), Hash: leafHash);
        completed.Add(current);
        while (_edge.Count > 0 && _edge[^1].Node.Level == current.Node.Level)
        {
            var left = _edge[^1];
            _edge.RemoveAt(_edge.Count - 1);
            current = (new TreeNode(current.Node.Level + 1, left.Node.Index >> 1), LogTree.NodeHash(left.Hash, current.Hash));
            completed.Add(current);
        }
        _edge.Add(current);
        Size++;
        return completed;
    }

    public byte[] Root()
    {
        if (_edge.Count == 0) return LogTree.EmptyRoot();
        var hash = _edge[^1].Hash;
        for (var i = _edge.Count - 2; i >= 0; i--) hash = LogTree.NodeHash(_edge[i].Hash, hash);
        return hash;
    }
}
