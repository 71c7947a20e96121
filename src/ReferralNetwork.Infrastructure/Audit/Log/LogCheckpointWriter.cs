using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Persistence;
using ReferralNetwork.Transparency;

namespace ReferralNetwork.Infrastructure.Audit.Log;

/// <summary>A row of <c>audit_log_checkpoints</c>: one signed tree head.</summary>
public sealed record LogCheckpointRow
{
    public long TreeSize { get; init; }
    public string RootHash { get; init; } = "";
    public string Note { get; init; } = "";
    public DateTimeOffset CreatedAt { get; init; }

    public const string Columns = "tree_size AS TreeSize, root_hash AS RootHash, note, created_at AS CreatedAt";
}

/// <summary>A row of <c>audit_log_cosignatures</c>.</summary>
public sealed record LogCosignatureRow
{
    public long TreeSize { get; init; }
    public string WitnessName { get; init; } = "";
    public string SignatureLine { get; init; } = "";
    public DateTimeOffset CosignedAt { get; init; }

    public const string Columns = "tree_size AS TreeSize, witness_name AS WitnessName, signature_line AS SignatureLine, cosigned_at AS CosignedAt";
}

/// <summary>
/// Runs at every checkpoint (after the stream-head checkpoint, see <see cref="Checkpointer"/>): sequences the events
/// committed since the last run, signs the new tree head as a C2SP checkpoint, and asks every configured witness to
/// cosign it. The log never signs a head that is inconsistent with the newest one it signed: before signing it
/// recomputes that head's root from the stored nodes, and refuses if it differs. One signed head per size (primary key),
/// so replicas running together sign each size once.
/// </summary>
public sealed class LogCheckpointWriter(ConnectionFactory factory, LogSequencer sequencer, LogIdentity identity, WitnessClient witnesses, Clock clock,
    ILogger<LogCheckpointWriter> logger)
{
    public async Task<LogCheckpointRow?> RunAsync(CancellationToken ct)
    {
        var size = await sequencer.SequenceAsync(ct);
        var head = await SignAsync(size, ct);
        if (head is not null) await witnesses.CollectAsync(head, ct);
        return head;
    }

    private async Task<LogCheckpointRow?> SignAsync(long size, CancellationToken ct)
    {
        await using var session = new DbSession(factory);
        await using var work = await UnitOfWork.BeginAsync(session, ct);
        var (connection, transaction) = (work.Connection, work.Transaction);
        var latest = await LatestAsync(connection, transaction, factory, ct);
        if (size == 0 || (latest is not null && latest.TreeSize >= size))
        {
            if (latest is not null && latest.TreeSize > size)
                logger.LogError("The audit log holds {Size} entries but checkpoint {Signed} was signed: entries were deleted. Run GET /api/v1/audit/verify.", size, latest.TreeSize);
            return latest;
        }
        if (latest is not null && Convert.ToHexStringLower(await LogNodes.RootAsync(connection, transaction, latest.TreeSize, ct)) != latest.RootHash)
            throw new InvalidOperationException(
                $"Refusing to sign the audit log at size {size}: the stored tree no longer gives the root signed at size {latest.TreeSize}. Run GET /api/v1/audit/verify.");
        var root = await LogNodes.RootAsync(connection, transaction, size, ct);
        var text = new Checkpoint(identity.Origin, size, root).Text();
        var row = new LogCheckpointRow
        {
            TreeSize = size, RootHash = Convert.ToHexStringLower(root), Note = new SignedNote(text, [identity.Signer.Sign(text)]).ToString(),
            // Never before the head signed last, even when the clock stepped back: signed heads' times never decrease.
            CreatedAt = latest is not null && latest.CreatedAt > clock.Now() ? latest.CreatedAt : clock.Now(),
        };
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO audit_log_checkpoints (tree_size, root_hash, note, created_at) VALUES (@TreeSize, @RootHash, @Note, @CreatedAt)",
                row, transaction, cancellationToken: ct));
            await work.CommitAsync(ct);
        }
        catch (Exception e) when (factory.Dialect.IsUniqueViolation(e))
        {
            // Another replica signed this size first: its head is as good as ours (same tree, same key).
            await work.RollbackAsync();
            await using var again = await factory.OpenAsync(ct);
            return await LatestAsync(again, null, factory, ct);
        }
        logger.LogInformation("Signed the audit log's checkpoint at size {Size}, root {Root}.", size, row.RootHash);
        return row;
    }

    public static Task<LogCheckpointRow?> LatestAsync(DbConnection connection, DbTransaction? transaction, ConnectionFactory factory, CancellationToken ct) =>
        connection.QuerySingleOrDefaultAsync<LogCheckpointRow>(new CommandDefinition(
            $"SELECT {LogCheckpointRow.Columns} FROM audit_log_checkpoints ORDER BY tree_size DESC {factory.Dialect.Limit("1")}", transaction: transaction, cancellationToken: ct));
}
