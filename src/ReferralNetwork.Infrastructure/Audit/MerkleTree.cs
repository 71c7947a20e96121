using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>A stream head as a checkpoint seals it: the stream, its last seq and that event's hash (hex).</summary>
public readonly record struct StreamHead(string StreamId, long Seq, string Hash);

/// <summary>
/// The Merkle tree of a checkpoint, hashed as RFC 6962 §2.1 does (the Certificate Transparency tree):
/// <list type="bullet">
/// <item>leaves are the stream heads sorted by stream id (ordinal; stream ids are ASCII, so this is their UTF-8 byte order);</item>
/// <item>leaf = SHA-256(0x00 ‖ UTF-8(streamId) ‖ 0x00 ‖ seq as 8-byte big-endian ‖ the 32 bytes of the head hash) —
/// the 0x00 after the stream id cannot occur inside it, so the encoding is unambiguous;</item>
/// <item>node = SHA-256(0x01 ‖ left ‖ right); n &gt; 1 leaves split at k, the largest power of two smaller than n;</item>
/// <item>the root of no leaves is SHA-256 of nothing.</item>
/// </list>
/// </summary>
public static class MerkleTree
{
    public static byte[] LeafHash(StreamHead head)
    {
        var id = Encoding.UTF8.GetBytes(head.StreamId);
        var buffer = new byte[1 + id.Length + 1 + 8 + 32];
        buffer[0] = 0x00;
        id.CopyTo(buffer, 1);
        buffer[1 + id.Length] = 0x00;
        BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(2 + id.Length, 8), head.Seq);
        if (Convert.FromHexString(head.Hash, buffer.AsSpan(10 + id.Length), out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
            throw new FormatException($"The head hash of {head.StreamId} is not 32 bytes of hex.");
        return SHA256.HashData(buffer);
    }

    /// <summary>The root over the heads, which are sorted here (callers may pass them in any order).</summary>
    public static byte[] Root(IEnumerable<StreamHead> heads)
    {
        var leaves = heads.OrderBy(h => h.StreamId, StringComparer.Ordinal).Select(LeafHash).ToArray();
        return RootOfLeaves(leaves);
    }

    public static byte[] RootOfLeaves(ReadOnlySpan<byte[]> leaves)
    {
        if (leaves.Length == 0) return SHA256.HashData(ReadOnlySpan<byte>.Empty);
        if (leaves.Length == 1) return leaves[0];
        var k = 1;
        while (k << 1 < leaves.Length) k <<= 1;
        var node = new byte[65];
        node[0] = 0x01;
        RootOfLeaves(leaves[..k]).CopyTo(node, 1);
        RootOfLeaves(leaves[k..]).CopyTo(node, 33);
        return SHA256.HashData(node);
    }
}
