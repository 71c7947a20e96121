using Dapper;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Api.Commands;

/// <summary>
/// The external anchor of <c>verify-backup --checkpoint N --root HEX</c>: a checkpoint an auditor kept outside the
/// database. The copy must hold checkpoint N with exactly that root; the verification then proves that every later
/// checkpoint extends it (each names its predecessor's root) and that today's events are consistent with them.
/// <para>Interim: once <c>VerifyAuditQuery</c> takes the anchor itself (its <c>Checkpoint</c> and <c>Root</c>, the
/// same check as <c>GET /audit/verify?checkpoint=&amp;root=</c>), pass them there and delete this class.</para>
/// </summary>
public static class ExternalAnchorCheck
{
    /// <summary>Null when the copy holds the anchor; otherwise what is wrong.</summary>
    public static async Task<string?> ProblemAsync(IDbSession session, long checkpoint, string root, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var stored = await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            "SELECT root_hash FROM audit_checkpoints WHERE sequence = @Sequence", new { Sequence = checkpoint }, cancellationToken: ct));
        if (stored is null) return $"anchor: the database has no checkpoint {checkpoint} (it was deleted, or the copy is older than the anchor).";
        return string.Equals(stored, root, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"anchor: checkpoint {checkpoint} has root {stored}, not the anchored {root}: the sealed history was rewritten.";
    }
}
