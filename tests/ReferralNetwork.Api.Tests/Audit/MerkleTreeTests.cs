using System.Security.Cryptography;
using ReferralNetwork.Infrastructure.Audit;

namespace ReferralNetwork.Api.Tests.Audit;

public sealed class MerkleTreeTests
{
    // The Certificate Transparency reference vectors (RFC 6962 hashing): eight leaves of raw data and the root of each prefix.
    private static readonly string[] Leaves = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
    private static readonly string[] Roots =
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    [Fact]
    public void Roots_match_the_rfc_6962_reference_vectors()
    {
        var leafHashes = Leaves.Select(l => SHA256.HashData([0x00, .. Convert.FromHexString(l)])).ToArray();
        for (var n = 1; n <= Leaves.Length; n++)
            Assert.Equal(Roots[n - 1], Convert.ToHexStringLower(MerkleTree.RootOfLeaves(leafHashes.AsSpan(0, n))));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(MerkleTree.RootOfLeaves([])));
    }

    [Fact]
    public void The_leaf_is_zero_stream_zero_seq_big_endian_and_head_hash_and_order_of_input_does_not_matter()
    {
        var head = new StreamHead("referral/x", 258, new string('a', 64));
        byte[] expected = [0x00, .. "referral/x"u8, 0x00, 0, 0, 0, 0, 0, 0, 1, 2, .. Convert.FromHexString(head.Hash)];
        Assert.Equal(SHA256.HashData(expected), MerkleTree.LeafHash(head));
        var heads = Enumerable.Range(0, 13).Select(i => new StreamHead($"person/{i:D3}", i + 1, Convert.ToHexStringLower(SHA256.HashData([(byte)i])))).ToList();
        Assert.Equal(MerkleTree.Root(heads), MerkleTree.Root(Enumerable.Reverse(heads)));
    }
}
