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
    /// How long an in-flight key blocks its retries (409). A claim commits only together with its answer, so a committed
    /// row in flight comes from before issue 20 (claims then committed alone) or from a hand-written row; after this long
    /// the next retry takes it over.
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>The answer stored for a key: replayed verbatim to a retry. <see cref="PersonId"/> names the person the answer
/// concerns (its referral's), so that erasing that person purges the answer.</summary>
public sealed record StoredResponse(int Status, string? Body, string? ETag, string? Location, Guid? PersonId = null);

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

    /// <summary>
    /// Another principal of the organisation used the key: 422, and nothing of its request or answer is disclosed. A stored
    /// answer is replayed only to the principal that made the request, so a key of another role (an org admin, an
    /// auditor) cannot read through a replay what it may not read directly.
    /// </summary>
    public sealed record OtherPrincipal : IdempotencyClaim;

    /// <summary>The request completed, but the person its answer concerned was erased since, and the answer with them: 410.</summary>
    public sealed record Erased : IdempotencyClaim;
}

/// <summary>A row of <c>idempotency_keys</c>.</summary>
internal sealed record IdempotencyKeyRow
{
    public string RequestHash { get; init; } = "";
    public string State { get; init; } = "";
    public Guid? PrincipalId { get; init; }
    public int? ResponseStatus { get; init; }
    public string? ResponseBody { get; init; }
    public string? ResponseEtag { get; init; }
    public string? ResponseLocation { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>
/// Idempotency keys in <c>idempotency_keys</c>, one row per (organisation, key). Claiming inserts the row as
/// <c>in_flight</c> in the request's unit of work, before the command runs in it: the primary key lets exactly one of
/// several concurrent requests win, and the losers read the row to decide between replay, 409 and 422 — never
/// check-then-insert. The winner marks the row <c>done</c> with its answer in the same unit; a failure rolls the claim back
/// with everything else.
/// </summary>
public sealed class IdempotencyStore(IDbSession session, Clock clock, IOptions<IdempotencyOptions> options, IPersonalDataProtector protector)
{
    public const string InFlightState = IdempotencyStates.InFlight;
    public const string DoneState = IdempotencyStates.Done;

    public async Task<IdempotencyClaim> ClaimAsync(Guid organisationId, Guid principalId, string key, string operation, string requestHash, CancellationToken ct)
    {
        var transaction = session.Transaction ?? throw new InvalidOperationException("A key is claimed inside the request's unit of work.");
        var connection = await session.ConnectionAsync(ct);
        // A few rounds cover a row that is deleted or taken over between our insert and our read.
        for (var round = 0; round < 3; round++)
        {
            var now = clock.Now();
            var values = new
            {
                Org = organisationId, Principal = principalId, Key = key, Operation = operation, Hash = requestHash, InFlight = InFlightState, Now = now,
                Expires = now + options.Value.Lifetime,
            };
            // "If absent", not "catch the unique violation": inside a transaction a failed statement would abort it on
            // PostgreSQL. A twin's uncommitted claim in another transaction makes this wait until that one ends.
            var inserted = await connection.ExecuteAsync(new CommandDefinition(session.Dialect.InsertIfAbsent("idempotency_keys",
                "organisation_id, idempotency_key, principal_id, operation, request_hash, state, created_at, expires_at",
                "@Org, @Key, @Principal, @Operation, @Hash, @InFlight, @Now, @Expires", "organisation_id, idempotency_key"), values, transaction,
                cancellationToken: ct));
            if (inserted == 1) return new IdempotencyClaim.Owned(now);

            var row = await connection.QuerySingleOrDefaultAsync<IdempotencyKeyRow>(new CommandDefinition("""
                SELECT request_hash AS RequestHash, state, principal_id AS PrincipalId, response_status AS ResponseStatus, response_body AS ResponseBody,
                       response_etag AS ResponseEtag, response_location AS ResponseLocation, created_at AS CreatedAt, expires_at AS ExpiresAt
                FROM idempotency_keys WHERE organisation_id = @Org AND idempotency_key = @Key
                """, new { Org = organisationId, Key = key }, transaction, cancellationToken: ct));
            if (row is null) continue;

            var expired = row.ExpiresAt <= now;
            var abandoned = row.State == InFlightState && row.CreatedAt <= now - options.Value.LockTimeout;
            if (expired || abandoned)
            {
                // Conditional on the row we saw, so of two requests taking over only one succeeds.
                var taken = await connection.ExecuteAsync(new CommandDefinition("""
                    UPDATE idempotency_keys
                    SET principal_id = @Principal, operation = @Operation, request_hash = @Hash, state = @InFlight, response_status = NULL,
                        response_body = NULL, response_etag = NULL, response_location = NULL, person_id = NULL, master_key_id = NULL,
                        created_at = @Now, expires_at = @Expires
                    WHERE organisation_id = @Org AND idempotency_key = @Key AND state = @SeenState AND created_at = @SeenCreatedAt
                    """, new
                {
                    values.Org, values.Principal, values.Key, values.Operation, values.Hash, values.InFlight, values.Now, values.Expires, SeenState = row.State,
                    SeenCreatedAt = row.CreatedAt,
                }, transaction, cancellationToken: ct));
                if (taken == 1) return new IdempotencyClaim.Owned(now);
                continue;
            }
            // First, so that nothing about another principal's request (not even whether its body was the same) is told.
            // Rows stored before answers were scoped to principals (principal_id NULL) are nobody's to replay.
            if (row.PrincipalId != principalId) return new IdempotencyClaim.OtherPrincipal();
            if (row.RequestHash != requestHash) return new IdempotencyClaim.Mismatch();
            if (row.State == InFlightState) return new IdempotencyClaim.InFlight();
            if (row.State == IdempotencyStates.Erased) return new IdempotencyClaim.Erased();
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
        var (body, masterKeyId) = Seal(response.Body, organisationId, key);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE idempotency_keys
            SET state = @Done, response_status = @Status, response_body = @Body, response_etag = @ETag, response_location = @Location,
                person_id = @PersonId, master_key_id = @MasterKeyId
            WHERE organisation_id = @Org AND idempotency_key = @Key AND state = @InFlight AND created_at = @Token
            """, new
        {
            Done = DoneState, response.Status, Body = body, response.ETag, response.Location, response.PersonId, MasterKeyId = masterKeyId,
            Org = organisationId, Key = key, InFlight = InFlightState, Token = token,
        }, session.Transaction, cancellationToken: ct)) == 1;
    }

    /// <summary>
    /// A stored answer can hold a referral's reason or a person's identity, so it is sealed like personal data: under a
    /// fresh data key wrapped by the master key, bound to its organisation and key (<see cref="SealedAnswer"/>).
    /// </summary>
    private (string? Body, string? MasterKeyId) Seal(string? body, Guid organisationId, string key)
    {
        if (body is null) return (null, null);
        var dataKey = protector.NewDataKey();
        var sealedBody = protector.Seal(dataKey.Key, body, SealedAnswer.Context(organisationId, key));
        return (new SealedAnswer(dataKey.MasterKeyId, dataKey.Wrapped, sealedBody).ToString(), dataKey.MasterKeyId);
    }

    private string? Open(string? stored, Guid organisationId, string key)
    {
        if (SealedAnswer.TryParse(stored) is not { } answer) return stored;
        var dataKey = protector.Unwrap(answer.WrappedKey, answer.MasterKeyId);
        return protector.Open(dataKey, answer.Ciphertext, SealedAnswer.Context(organisationId, key));
    }

    /// <summary>Deletes keys past their lifetime (the deadline monitor calls this each pass). Returns how many.</summary>
    public static async Task<int> DeleteExpiredAsync(IDbSession session, DateTimeOffset now, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM idempotency_keys WHERE expires_at <= @Now", new { Now = now }, session.Transaction, cancellationToken: ct));
    }
}

/// <summary>
/// A stored idempotent answer as kept in <c>response_body</c>: <c>sealed:v1:{masterKeyId}:{wrapped key}:{ciphertext}</c>
/// (base64). Master-key rotation re-wraps the data key and leaves the ciphertext as it is.
/// </summary>
public sealed record SealedAnswer(string MasterKeyId, byte[] WrappedKey, byte[] Ciphertext)
{
    private const string Prefix = "sealed:v1:";

    /// <summary>Binds the ciphertext to its row: an answer copied to another organisation or key does not open.</summary>
    public static string Context(Guid organisationId, string key) => $"idempotency:{organisationId:D}:{key}";

    public static SealedAnswer? TryParse(string? stored)
    {
        if (stored is null || !stored.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var parts = stored.Split(':');
        return parts.Length == 5 ? new SealedAnswer(parts[2], Convert.FromBase64String(parts[3]), Convert.FromBase64String(parts[4])) : null;
    }

    public override string ToString() => $"{Prefix}{MasterKeyId}:{Convert.ToBase64String(WrappedKey)}:{Convert.ToBase64String(Ciphertext)}";
}
