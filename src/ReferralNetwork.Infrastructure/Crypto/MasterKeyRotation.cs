using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Idempotency;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Crypto;

/// <summary>
/// <c>rotate-master-key</c>: re-wraps every data key under the current master key (<c>Encryption:MasterKey</c> with
/// <c>Encryption:MasterKeyId</c>), unwrapping with the old one configured as <c>Encryption:PreviousKeys:&lt;oldId&gt;</c>.
/// Every sealed thing is covered (<see cref="Kinds"/>): persons (identity, reasons, notes), webhook signing secrets,
/// stored idempotent answers and users' TOTP secrets — after the run the old key can be removed without anything becoming unreadable. Only the
/// small wrapped keys change; the ciphertexts stay sealed under the same data keys, so the run is short and can be
/// repeated: rows already under the current key are skipped, and each batch commits on its own, so an interrupted run
/// simply continues next time. Erased persons have no key and are left as they are.
/// </summary>
public sealed partial class MasterKeyRotation(ConnectionFactory connections, PersonalDataProtector protector, IAuditAppender audit, ILogger<MasterKeyRotation> logger)
{
    public const int BatchSize = 200;

    public sealed record Result(int Rewrapped, IReadOnlyDictionary<string, int> FromKeys, IReadOnlyDictionary<string, int> ByKind)
    {
        /// <summary>Persons whose blind-index terms were re-keyed (issue 17, MasterKeyRotation.SearchIndex.cs).</summary>
        public int SearchIndexRekeyed { get; init; }
    }

    /// <summary>One table holding data keys wrapped by the master key.</summary>
    private abstract record SealedKind(string Name, string Label)
    {
        /// <summary>(master key id, rows) of the rows not yet under <c>@Current</c>.</summary>
        public abstract string CountSql { get; }

        /// <summary>One wrapped key under <c>@KeyId</c>, to prove that the configured key opens it.</summary>
        public abstract string SampleSql(ISqlDialect dialect);

        /// <summary>Re-wraps one batch not yet under the current key; returns how many rows changed, and from which keys.</summary>
        public abstract Task<(int Rewrapped, IReadOnlyList<string> FromKeys)> RewrapBatchAsync(DbConnection connection, DbTransaction transaction, ISqlDialect dialect, PersonalDataProtector protector,
            string current, CancellationToken ct);
    }

    /// <summary>A table with an <c>id</c> column and a wrapped key with its master key id (<c>wrapped_key</c> and <c>master_key_id</c> unless named).</summary>
    private sealed record WrappedKeyColumn(string Name, string Label, string Table, string Present, string Wrapped = "wrapped_key", string MasterKeyId = "master_key_id")
        : SealedKind(Name, Label)
    {
        public override string CountSql =>
            $"SELECT {MasterKeyId}, COUNT(*) FROM {Table} WHERE {Present} AND {MasterKeyId} <> @Current GROUP BY {MasterKeyId}";

        public override string SampleSql(ISqlDialect dialect) =>
            $"SELECT {Wrapped} FROM {Table} WHERE {Present} AND {MasterKeyId} = @KeyId ORDER BY id {dialect.Limit("1")}";

        public override async Task<(int Rewrapped, IReadOnlyList<string> FromKeys)> RewrapBatchAsync(DbConnection connection, DbTransaction transaction, ISqlDialect dialect, PersonalDataProtector protector,
            string current, CancellationToken ct)
        {
            var batch = (await connection.QueryAsync<(Guid Id, byte[] Wrapped, string KeyId)>(new CommandDefinition($"""
                SELECT id, {Wrapped}, {MasterKeyId} FROM {Table}
                WHERE {Present} AND {MasterKeyId} <> @Current
                ORDER BY id
                {dialect.Limit("@Take")}
                """, new { Current = current, Take = BatchSize }, transaction, cancellationToken: ct))).ToList();
            var rewrapped = 0;
            foreach (var (id, wrapped, keyId) in batch)
            {
                var key = protector.Rewrap(wrapped, keyId);
                // Guarded by the old key id and a present key: an erasure that won a race stays an erasure.
                rewrapped += await connection.ExecuteAsync(new CommandDefinition($"""
                    UPDATE {Table} SET {Wrapped} = @Wrapped, {MasterKeyId} = @KeyId
                    WHERE id = @Id AND {MasterKeyId} = @OldKeyId AND {Present}
                    """, new { Id = id, key.Wrapped, KeyId = key.MasterKeyId, OldKeyId = keyId }, transaction, cancellationToken: ct));
            }
            return (rewrapped, batch.Select(b => b.KeyId).Distinct().Order(StringComparer.Ordinal).ToList());
        }
    }

    /// <summary>Stored idempotent answers: the wrapped key sits inside <c>response_body</c> (<see cref="SealedAnswer"/>).</summary>
    private sealed record StoredAnswers() : SealedKind("stored_answers", "stored answer")
    {
        public override string CountSql =>
            "SELECT master_key_id, COUNT(*) FROM idempotency_keys WHERE master_key_id IS NOT NULL AND master_key_id <> @Current GROUP BY master_key_id";

        public override string SampleSql(ISqlDialect dialect) =>
            $"SELECT response_body FROM idempotency_keys WHERE master_key_id = @KeyId ORDER BY organisation_id, idempotency_key {dialect.Limit("1")}";

        public override async Task<(int Rewrapped, IReadOnlyList<string> FromKeys)> RewrapBatchAsync(DbConnection connection, DbTransaction transaction, ISqlDialect dialect, PersonalDataProtector protector,
            string current, CancellationToken ct)
        {
            var batch = (await connection.QueryAsync<(Guid Organisation, string Key, string? Body, string KeyId)>(new CommandDefinition($"""
                SELECT organisation_id, idempotency_key, response_body, master_key_id FROM idempotency_keys
                WHERE master_key_id IS NOT NULL AND master_key_id <> @Current
                ORDER BY organisation_id, idempotency_key
                {dialect.Limit("@Take")}
                """, new { Current = current, Take = BatchSize }, transaction, cancellationToken: ct))).ToList();
            var rewrapped = 0;
            foreach (var (organisation, idempotencyKey, body, keyId) in batch)
            {
                // An answer without a sealed body (erased meanwhile) keeps nothing under any key: clear the marker.
                var sealedBody = SealedAnswer.TryParse(body) is { } answer
                    ? (answer with { MasterKeyId = current, WrappedKey = protector.Rewrap(answer.WrappedKey, answer.MasterKeyId).Wrapped }).ToString()
                    : body;
                rewrapped += await connection.ExecuteAsync(new CommandDefinition("""
                    UPDATE idempotency_keys SET response_body = @Body, master_key_id = @KeyId
                    WHERE organisation_id = @Organisation AND idempotency_key = @IdempotencyKey AND master_key_id = @OldKeyId
                    """, new
                {
                    Body = sealedBody, KeyId = sealedBody == body ? null : current, Organisation = organisation, IdempotencyKey = idempotencyKey, OldKeyId = keyId,
                }, transaction, cancellationToken: ct));
            }
            return (rewrapped, batch.Select(b => b.KeyId).Distinct().Order(StringComparer.Ordinal).ToList());
        }
    }

    private static readonly SealedKind[] Kinds =
    [
        new WrappedKeyColumn("persons", "person", "persons", "wrapped_key IS NOT NULL"),
        // Deleted subscriptions are covered too: their secrets stay sealed in the table.
        new WrappedKeyColumn("webhook_secrets", "webhook secret", "webhook_subscriptions", "1 = 1"),
        new StoredAnswers(),
        // Users' TOTP secrets: a reset or a new activation that won a race clears or replaces the key, never a stale one.
        new WrappedKeyColumn("totp_secrets", "TOTP secret", "users", "totp_wrapped_key IS NOT NULL", "totp_wrapped_key", "totp_master_key_id"),
    ];

    /// <summary>The command: prints what it did; exit code 0, or 1 with the reason when a needed old key is not configured.</summary>
    public static async Task<int> RunCommandAsync(IServiceProvider services, TextWriter output, TextWriter error, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var rotation = scope.ServiceProvider.GetRequiredService<MasterKeyRotation>();
        try
        {
            var result = await rotation.RunAsync(ct);
            var from = result.FromKeys.Count == 0 ? "nothing to do" : string.Join(", ", result.FromKeys.Select(k => $"{k.Value} from {k.Key}"));
            var kinds = string.Join(", ", Kinds.Select(k => $"{result.ByKind.GetValueOrDefault(k.Name)} {k.Label}(s)"));
            output.WriteLine($"Re-wrapped {result.Rewrapped} data key(s) under master key '{rotation.CurrentKeyId}' ({from}): {kinds}.");
            output.WriteLine($"Re-keyed the search index of {result.SearchIndexRekeyed} person(s).");
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
        var missing = pending.Keys.Where(id => !protector.HasKey(id)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException(
                $"Data keys are wrapped by master key(s) {string.Join(", ", missing)}, which are not configured: set Encryption:PreviousKeys:<id> for each.");

        foreach (var keyId in pending.Keys) await ProveKeyAsync(keyId, ct);

        var byKind = new Dictionary<string, int>();
        foreach (var kind in Kinds)
        {
            var total = 0;
            while (true)
            {
                var done = await RewrapBatchAsync(kind, current, ct);
                if (done == 0) break;
                total += done;
                logger.LogInformation("Re-wrapped {Count} data keys of {Kind} under master key {KeyId}", total, kind.Name, current);
            }
            byKind[kind.Name] = total;
        }
        return new Result(byKind.Values.Sum(), pending, byKind) { SearchIndexRekeyed = await RekeySearchIndexAsync(current, ct) };
    }

    /// <summary>Rows not yet under the current key, by the master key that wraps them, over every kind of sealed thing.</summary>
    private async Task<Dictionary<string, int>> PendingByKeyAsync(string current, CancellationToken ct)
    {
        await using var connection = await connections.OpenAsync(ct);
        var pending = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var kind in Kinds)
            foreach (var (keyId, count) in await connection.QueryAsync<(string KeyId, long Count)>(new CommandDefinition(kind.CountSql, new { Current = current }, cancellationToken: ct)))
                pending[keyId] = pending.GetValueOrDefault(keyId) + (int)count;
        return pending;
    }

    /// <summary>A wrong key under the right id would fail half-way: open one data key of each old master key first.</summary>
    private async Task ProveKeyAsync(string keyId, CancellationToken ct)
    {
        await using var connection = await connections.OpenAsync(ct);
        foreach (var kind in Kinds)
        {
            var sample = await connection.ExecuteScalarAsync<object?>(new CommandDefinition(kind.SampleSql(connections.Dialect), new { KeyId = keyId }, cancellationToken: ct));
            var wrapped = sample switch
            {
                byte[] bytes => bytes,
                string body => SealedAnswer.TryParse(body)?.WrappedKey,
                _ => null,
            };
            if (wrapped is null) continue;
            try
            {
                protector.Unwrap(wrapped, keyId);
                return;
            }
            catch (CryptographicException)
            {
                throw new InvalidOperationException($"The key configured as master key '{keyId}' does not open the data keys wrapped under '{keyId}': check Encryption:PreviousKeys:{keyId}.");
            }
        }
    }

    /// <summary>One transaction: a batch of keys re-wrapped, and one audit event saying how many, of what, from which keys (no ids).</summary>
    private async Task<int> RewrapBatchAsync(SealedKind kind, string current, CancellationToken ct)
    {
        await using var session = new DbSession(connections);
        await using var work = await UnitOfWork.BeginAsync(session, ct);
        var (rewrapped, fromKeys) = await kind.RewrapBatchAsync(work.Connection, work.Transaction, work.Dialect, protector, current, ct);
        if (rewrapped == 0) return 0;
        await audit.AppendAsync(session, null, [new AuditEntry($"encryption/{current}", "master_key.rewrapped", new Dictionary<string, object?>
        {
            ["masterKeyId"] = current, ["kind"] = kind.Name, ["fromMasterKeyIds"] = fromKeys, ["count"] = rewrapped,
        })], ct);
        await work.CommitAsync(ct);
        return rewrapped;
    }
}
