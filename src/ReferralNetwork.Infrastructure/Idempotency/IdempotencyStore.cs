using Dapper;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Infrastructure.Idempotency;

/// <summary>Settings under <c>Idempotency:</c>.</summary>
public sealed class IdempotencyOptions
{
    /// <summary>How long a key is remembered (DESIGN §7: 24 h). After that the same key starts a new request.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long an in-flight key blocks its retries (409). A request holds its key only while its command runs; a row
    /// still in flight after this long belongs to a request that died before committing, and the next retry takes it over.
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>The answer stored for a key: replayed verbatim to a retry.</summary>
public sealed record StoredResponse(int Status, string? Body, string? ETag, string? Location);

/// <summary>What claiming a key found.</summary>
public abstract record IdempotencyClaim
{
    /// <summary>The key is ours: run the request. <see cref="Token"/> (the row's created_at) proves ownership later.</summary>
    public sealed record Owned(DateTimeOffset Token) : IdempotencyClaim;

    /// <summary>The key's request completed: answer with what it answered.</summary>
    public sealed record Completed(StoredResponse Response) : IdempotencyClaim;

    /// <summary>The key was used for a different request (other method, path or body): 422.</summary>
    public sealed record Mismatch : IdempotencyClaim;

    /// <summary>The key's first request is still running: 409, retry later.</summary>
    public sealed record InFlight : IdempotencyClaim;
}

/// <summary>A row of <c>idempotency_keys</c>.</summary>
internal sealed record IdempotencyKeyRow
{
    public string RequestHash { get; init; } = "";
    public string State { get; init; } = "";
    public int? ResponseStatus { get; init; }
    public string? ResponseBody { get; init; }
    public string? ResponseEtag { get; init; }
    public string? ResponseLocation { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>
/// Idempotency keys in <c>idempotency_keys</c>, one row per (organisation, key). Claiming inserts the row as
/// <c>in_flight</c> in its own statement, before the command starts: the primary key lets exactly one of several
/// concurrent requests win, and the losers read the row to decide between replay, 409 and 422 — never check-then-insert.
/// The winner marks the row <c>done</c> with its answer inside the command's transaction, or deletes it on failure.
/// </summary>
public sealed class IdempotencyStore(IDbSession session, Clock clock, IOptions<IdempotencyOptions> options, IPersonalDataProtector protector,
    ConnectionFactory factory)
{
    public const string InFlightState = "in_flight";
    public const string DoneState = "done";


    /// <summary>
    /// The claim and the release commit on their own (autocommit), outside the command's transaction. On SQLite each is
    /// then a write transaction of its own, so it queues on the process's write gate like the commands do, rather than
    /// sleeping in SQLite's busy handler while a command holds the lock. Inside a transaction the gate is already held.
    /// </summary>
    private async Task<WriteSlot?> WriteSlotAsync(CancellationToken ct)
    {
        if (factory.WriteGate is not { } gate || session.Transaction is not null) return null;
        if (!await gate.WaitAsync(ConnectionFactory.WriteGateTimeout, ct))
            throw new TimeoutException($"No database write slot within {ConnectionFactory.WriteGateTimeout.TotalSeconds:0} s.");
        return new WriteSlot(gate);
    }

    private sealed class WriteSlot(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    public async Task<IdempotencyClaim> ClaimAsync(Guid organisationId, string key, string operation, string requestHash, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        using var slot = await WriteSlotAsync(ct);
        // A few rounds cover a row that is deleted or taken over between our insert and our read.
        for (var round = 0; round < 3; round++)
        {
            var now = clock.Now();
            var values = new
            {
                Org = organisationId, Key = key, Operation = operation, Hash = requestHash, InFlight = InFlightState, Now = now,
                Expires = now + options.Value.Lifetime,
            };
            try
            {
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO idempotency_keys (organisation_id, idempotency_key, operation, request_hash, state, created_at, expires_at)
                    VALUES (@Org, @Key, @Operation, @Hash, @InFlight, @Now, @Expires)
                    """, values, cancellationToken: ct));
                return new IdempotencyClaim.Owned(now);
            }
            catch (Exception e) when (session.Dialect.IsUniqueViolation(e))
            {
            }

            var row = await connection.QuerySingleOrDefaultAsync<IdempotencyKeyRow>(new CommandDefinition("""
                SELECT request_hash AS RequestHash, state, response_status AS ResponseStatus, response_body AS ResponseBody,
                       response_etag AS ResponseEtag, response_location AS ResponseLocation, created_at AS CreatedAt, expires_at AS ExpiresAt
                FROM idempotency_keys WHERE organisation_id = @Org AND idempotency_key = @Key
                """, new { Org = organisationId, Key = key }, cancellationToken: ct));
            if (row is null) continue;

            var expired = row.ExpiresAt <= now;
            var abandoned = row.State == InFlightState && row.CreatedAt <= now - options.Value.LockTimeout;
            if (expired || abandoned)
            {
                // Conditional on the row we saw, so of two requests taking over only one succeeds.
                var taken = await connection.ExecuteAsync(new CommandDefinition("""
                    UPDATE idempotency_keys
                    SET operation = @Operation, request_hash = @Hash, state = @InFlight, response_status = NULL, response_body = NULL,
                        response_etag = NULL, response_location = NULL, created_at = @Now, expires_at = @Expires
                    WHERE organisation_id = @Org AND idempotency_key = @Key AND state = @SeenState AND created_at = @SeenCreatedAt
                    """, new
                {
                    values.Org, values.Key, values.Operation, values.Hash, values.InFlight, values.Now, values.Expires, SeenState = row.State,
                    SeenCreatedAt = row.CreatedAt,
                }, cancellationToken: ct));
                if (taken == 1) return new IdempotencyClaim.Owned(now);
                continue;
            }
            if (row.RequestHash != requestHash) return new IdempotencyClaim.Mismatch();
            if (row.State == InFlightState) return new IdempotencyClaim.InFlight();
            return new IdempotencyClaim.Completed(new StoredResponse(row.ResponseStatus ?? 200, Open(row.ResponseBody, organisationId, key), row.ResponseEtag, row.ResponseLocation));
        }
        return new IdempotencyClaim.InFlight();
    }

    /// <summary>
    /// Stores the answer, in the command's open transaction when there is one. False when the key is no longer ours
    /// (our request outlived the lock timeout and a retry took the key over): the caller must then roll back.
    /// </summary>
    public async Task<bool> CompleteAsync(Guid organisationId, string key, DateTimeOffset token, StoredResponse response, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE idempotency_keys
            SET state = @Done, response_status = @Status, response_body = @Body, response_etag = @ETag, response_location = @Location
            WHERE organisation_id = @Org AND idempotency_key = @Key AND state = @InFlight AND created_at = @Token
            """, new
        {
            Done = DoneState, response.Status, Body = Seal(response.Body, organisationId, key), response.ETag, response.Location, Org = organisationId, Key = key, InFlight = InFlightState,
            Token = token,
        }, session.Transaction, cancellationToken: ct)) == 1;
    }

    /// <summary>Forgets a key whose request failed (nothing was committed), so a corrected retry can use it.</summary>
    /// <summary>
    /// A stored answer can hold a referral's reason or a person's identity, so it is sealed like personal data: under a
    /// fresh data key wrapped by the master key, bound to its organisation and key. Text form:
    /// <c>sealed:v1:{masterKeyId}:{wrapped key}:{ciphertext}</c> (base64).
    /// </summary>
    private string? Seal(string? body, Guid organisationId, string key)
    {
        if (body is null) return null;
        var dataKey = protector.NewDataKey();
        var sealedBody = protector.Seal(dataKey.Key, body, $"idempotency:{organisationId:D}:{key}");
        return $"sealed:v1:{dataKey.MasterKeyId}:{Convert.ToBase64String(dataKey.Wrapped)}:{Convert.ToBase64String(sealedBody)}";
    }

    private string? Open(string? stored, Guid organisationId, string key)
    {
        if (stored is null || !stored.StartsWith("sealed:v1:", StringComparison.Ordinal)) return stored;
        var parts = stored.Split(':');
        var dataKey = protector.Unwrap(Convert.FromBase64String(parts[3]), parts[2]);
        return protector.Open(dataKey, Convert.FromBase64String(parts[4]), $"idempotency:{organisationId:D}:{key}");
    }

    public async Task ReleaseAsync(Guid organisationId, string key, DateTimeOffset token, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        using var slot = await WriteSlotAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM idempotency_keys WHERE organisation_id = @Org AND idempotency_key = @Key AND state = @InFlight AND created_at = @Token",
            new { Org = organisationId, Key = key, InFlight = InFlightState, Token = token }, session.Transaction, cancellationToken: ct));
    }

    /// <summary>Deletes keys past their lifetime (the deadline monitor calls this each pass). Returns how many.</summary>
    public static async Task<int> DeleteExpiredAsync(IDbSession session, DateTimeOffset now, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM idempotency_keys WHERE expires_at <= @Now", new { Now = now }, session.Transaction, cancellationToken: ct));
    }
}
