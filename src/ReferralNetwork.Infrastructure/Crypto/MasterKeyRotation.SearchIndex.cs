using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Crypto;

public sealed partial class MasterKeyRotation
{
    /// <summary>
    /// The blind index (issue 17): its key is derived from the master key, so rotating the master key re-keys it. Run after
    /// the data keys are re-wrapped: a person's terms under an old key are recomputed from the identity (opened with the
    /// person's data key) under the current one, a batch per transaction with one audit event per batch (counts, no ids).
    /// Search matches under every configured key meanwhile, so nobody stops being found half-way; an interrupted run
    /// continues where it stopped.
    /// </summary>
    private async Task<int> RekeySearchIndexAsync(string current, CancellationToken ct)
    {
        var index = new BlindIndex(protector);
        var total = 0;
        while (true)
        {
            await using var session = new DbSession(connections);
            await using var work = await UnitOfWork.BeginAsync(session, ct);
            var (connection, transaction) = (work.Connection, work.Transaction);
            var batch = (await connection.QueryAsync<(Guid Id, byte[]? Wrapped, string? KeyId, byte[]? Identity)>(new CommandDefinition($"""
                SELECT p.id, p.wrapped_key, p.master_key_id, p.identity_sealed FROM persons p
                WHERE p.id IN (SELECT t.person_id FROM person_search_terms t WHERE t.master_key_id <> @Current)
                ORDER BY p.id
                {work.Dialect.Limit("@Take")}
                """, new { Current = current, Take = BatchSize }, transaction, cancellationToken: ct))).ToList();
            if (batch.Count == 0) return total;
            foreach (var (id, wrapped, keyId, identitySealed) in batch)
            {
                await connection.ExecuteAsync(new CommandDefinition("DELETE FROM person_search_terms WHERE person_id = @Id", new { Id = id }, transaction, cancellationToken: ct));
                // An erased person keeps no terms (erasure deleted them; a leftover goes here).
                if (wrapped is null || keyId is null || identitySealed is null) continue;
                var identity = JsonSerializer.Deserialize<PersonIdentity>(protector.Open(protector.Unwrap(wrapped, keyId), identitySealed, PersonStore.IdentityContext(id)))!;
                foreach (var (kind, hash) in PersonSearchIndex.Rows(index, identity))
                    await connection.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO person_search_terms (person_id, kind, term_hash, master_key_id) VALUES (@Id, @Kind, @Hash, @KeyId)",
                        new { Id = id, Kind = kind, Hash = hash, KeyId = current }, transaction, cancellationToken: ct));
            }
            await audit.AppendAsync(session, null, [new AuditEntry($"search-index/{current}", "search_index.rekeyed", new Dictionary<string, object?>
            {
                ["masterKeyId"] = current, ["persons"] = batch.Count,
            })], ct);
            await work.CommitAsync(ct);
            total += batch.Count;
            logger.LogInformation("Re-keyed the search terms of {Count} persons under master key {KeyId}", total, current);
        }
    }
}
