using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Crypto;

/// <summary>
/// <c>rotate-master-key</c>: re-wraps every person's data key under the current master key (<c>Encryption:MasterKey</c>
/// with <c>Encryption:MasterKeyId</c>), unwrapping with the old one configured as <c>Encryption:PreviousKeys:&lt;oldId&gt;</c>.
/// Only the small wrapped keys change; identities, reasons and notes stay sealed under the same data keys, so the run is
/// short and can be repeated: rows already under the current key are skipped, and each batch commits on its own, so an
/// interrupted run simply continues next time. Erased persons have no key and are left as they are.
/// </summary>
public sealed class MasterKeyRotation(ConnectionFactory connections, PersonalDataProtector protector, IAuditAppender audit, ILogger<MasterKeyRotation> logger)
{
    public const int BatchSize = 200;

    public sealed record Result(int Rewrapped, IReadOnlyDictionary<string, int> FromKeys);

    /// <summary>The command: prints what it did; exit code 0, or 1 with the reason when a needed old key is not configured.</summary>
    public static async Task<int> RunCommandAsync(IServiceProvider services, TextWriter output, TextWriter error, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var rotation = scope.ServiceProvider.GetRequiredService<MasterKeyRotation>();
        try
        {
            var result = await rotation.RunAsync(ct);
            var from = result.FromKeys.Count == 0 ? "nothing to do" : string.Join(", ", result.FromKeys.Select(k => $"{k.Value} from {k.Key}"));
            output.WriteLine($"Re-wrapped {result.Rewrapped} data key(s) under master key '{rotation.CurrentKeyId}' ({from}).");
            output.WriteLine("Once every replica runs with the new key alone, remove the old key from Encryption:PreviousKeys and destroy it.");
            return 0;
        }
        catch (InvalidOperationException e)
        {
            error.WriteLine($"rotate-master-key: {e.Message}");
            return 1;
        }
    }

    public string CurrentKeyId => protector.CurrentKeyId;

    public async Task<Result> RunAsync(CancellationToken ct)
    {
        var current = protector.CurrentKeyId;
        var pending = await PendingByKeyAsync(current, ct);
        // Refuse before changing anything when a needed old key is missing: a half-rotated database is fine, a guess is not.
        var missing = pending.Keys.Where(id => !protector.HasKey(id)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException(
                $"Data keys are wrapped by master key(s) {string.Join(", ", missing)}, which are not configured: set Encryption:PreviousKeys:<id> for each.");

        foreach (var keyId in pending.Keys) await ProveKeyAsync(keyId, ct);

        var total = 0;
        while (true)
        {
            var done = await RewrapBatchAsync(current, ct);
            if (done == 0) break;
            total += done;
            logger.LogInformation("Re-wrapped {Count} data keys under master key {KeyId}", total, current);
        }
        return new Result(total, pending);
    }

    private async Task<Dictionary<string, int>> PendingByKeyAsync(string current, CancellationToken ct)
    {
        await using var connection = await connections.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string KeyId, long Count)>(new CommandDefinition("""
            SELECT master_key_id, COUNT(*) FROM persons WHERE wrapped_key IS NOT NULL AND master_key_id <> @Current GROUP BY master_key_id
            """, new { Current = current }, cancellationToken: ct));
        return rows.ToDictionary(r => r.KeyId, r => (int)r.Count);
    }

    /// <summary>A wrong key under the right id would fail half-way: open one data key of each old master key first.</summary>
    private async Task ProveKeyAsync(string keyId, CancellationToken ct)
    {
        await using var connection = await connections.OpenAsync(ct);
        var wrapped = await connection.QueryFirstAsync<byte[]>(new CommandDefinition(
            $"SELECT wrapped_key FROM persons WHERE wrapped_key IS NOT NULL AND master_key_id = @KeyId ORDER BY id {connections.Dialect.Limit("1")}",
            new { KeyId = keyId }, cancellationToken: ct));
        try
        {
            protector.Unwrap(wrapped, keyId);
        }
        catch (CryptographicException)
        {
            throw new InvalidOperationException($"The key configured as master key '{keyId}' does not open the data keys wrapped under '{keyId}': check Encryption:PreviousKeys:{keyId}.");
        }
    }

    /// <summary>One transaction: a batch of keys re-wrapped, and one audit event saying how many, from which keys (no ids of people).</summary>
    private async Task<int> RewrapBatchAsync(string current, CancellationToken ct)
    {
        await using var session = new DbSession(connections);
        var connection = await session.ConnectionAsync(ct);
        await session.BeginAsync(ct);
        var batch = (await connection.QueryAsync<(Guid Id, byte[] Wrapped, string KeyId)>(new CommandDefinition($"""
            SELECT id, wrapped_key, master_key_id FROM persons
            WHERE wrapped_key IS NOT NULL AND master_key_id <> @Current
            ORDER BY id
            {session.Dialect.Limit("@Take")}
            """, new { Current = current, Take = BatchSize }, session.Transaction, cancellationToken: ct))).ToList();
        if (batch.Count == 0)
        {
            await session.RollbackAsync(ct);
            return 0;
        }
        var rewrapped = 0;
        foreach (var (id, wrapped, keyId) in batch)
        {
            var key = protector.Rewrap(wrapped, keyId);
            // Guarded by the old key id and a present key: an erasure that won a race stays an erasure.
            rewrapped += await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE persons SET wrapped_key = @Wrapped, master_key_id = @KeyId
                WHERE id = @Id AND master_key_id = @OldKeyId AND wrapped_key IS NOT NULL
                """, new { Id = id, key.Wrapped, KeyId = key.MasterKeyId, OldKeyId = keyId }, session.Transaction, cancellationToken: ct));
        }
        await audit.AppendAsync(session, null, [new AuditEntry($"encryption/{current}", "master_key.rewrapped", new Dictionary<string, object?>
        {
            ["masterKeyId"] = current, ["fromMasterKeyIds"] = batch.Select(b => b.KeyId).Distinct().Order(StringComparer.Ordinal).ToList(),
            ["count"] = rewrapped,
        })], ct);
        await session.CommitAsync(ct);
        return batch.Count;
    }
}
