using System.Data.Common;
using Dapper;
using ReferralNetwork.Transparency;

namespace ReferralNetwork.Infrastructure.Audit.Log;

/// <summary>
/// Reads the stored perfect-subtree hashes (<c>audit_log_nodes</c>) and builds roots and RFC 9162 proofs from them:
/// every hash of a proof is the tree hash of a range, every such range splits into at most ~log n stored nodes, and
/// all the nodes of one proof come in one query.
/// </summary>
public static class LogNodes
{
    private const int NodesPerQuery = 200;

    public static async Task<List<(TreeNode Node, byte[] Hash)>> ReadAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyCollection<TreeNode> wanted,
        CancellationToken ct)
    {
        var found = new Dictionary<TreeNode, byte[]>();
        foreach (var chunk in wanted.Distinct().Chunk(NodesPerQuery))
        {
            var parameters = new DynamicParameters();
            var conditions = chunk.Select((n, i) =>
            {
                parameters.Add($"l{i}", n.Level);
                parameters.Add($"n{i}", n.Index);
                return $"(level = @l{i} AND node_index = @n{i})";
            });
            var rows = await connection.QueryAsync<(int Level, long Index, string Hash)>(new CommandDefinition(
                $"SELECT level, node_index, hash FROM audit_log_nodes WHERE {string.Join(" OR ", conditions)}", parameters, transaction, cancellationToken: ct));
            foreach (var row in rows) found[new TreeNode(row.Level, row.Index)] = Convert.FromHexString(row.Hash);
        }
        return wanted.Select(n => found.TryGetValue(n, out var hash)
            ? (n, hash)
            : throw new InvalidOperationException($"The audit log's node (level {n.Level}, index {n.Index}) is missing: the log tables were altered. Run GET /api/v1/audit/verify.")).ToList();
    }

    /// <summary>The tree hashes of the given ranges, from one read of their nodes.</summary>
    public static async Task<List<byte[]>> RangeHashesAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<(long Start, long End)> ranges, CancellationToken ct)
    {
        var pieces = ranges.SelectMany(r => LogTree.Pieces(r.Start, r.End)).ToList();
        var hashes = (await ReadAsync(connection, transaction, pieces, ct)).ToDictionary(p => p.Node, p => p.Hash);
        return ranges.Select(r => LogTree.RangeHash(r.Start, r.End, n => hashes[n])).ToList();
    }

    public static async Task<byte[]> RootAsync(DbConnection connection, DbTransaction? transaction, long size, CancellationToken ct) =>
        size == 0 ? LogTree.EmptyRoot() : (await RangeHashesAsync(connection, transaction, [(0, size)], ct))[0];
}
