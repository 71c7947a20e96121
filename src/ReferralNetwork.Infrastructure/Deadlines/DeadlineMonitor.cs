using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Protocols;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Deadlines;
using ReferralNetwork.Domain.Organisations;
using ReferralNetwork.Domain.Referrals;
using ReferralNetwork.Infrastructure.Idempotency;

namespace ReferralNetwork.Infrastructure.Deadlines;

/// <summary>
/// Records missed deadlines (DESIGN §5). One pass finds the deadlines that have passed while the referral still waits
/// for what they demand, and records each in its own transaction: a <c>deadline_breaches</c> row, the referral's
/// <c>overdue</c> flag, a timeline row, a <c>referral.deadline_missed</c> notification for referrer, receiver and the
/// protocol's escalation target, and an audit event with the system as actor.
/// Exactly once, however many monitors run (one per replica): the breach's primary key (referral, deadline) lets one
/// insert win; any other monitor's insert is a duplicate key and its transaction is dropped without a trace.
/// The pass also deletes expired idempotency keys.
/// </summary>
public sealed class DeadlineMonitor(
    IDbSession session, IAuditAppender appender, Clock clock, ProtocolStore protocols, IOptions<DeadlineOptions> options, ILogger<DeadlineMonitor> logger)
{
    public const string EventType = "referral.deadline_missed";

    // Which deadline applies while a referral is in which state. Column names are constants, never input.
    private static readonly (DeadlineKind Kind, string Column, Func<ISqlDialect, string> Condition)[] Rules =
    [
        (DeadlineKind.Acknowledge, "acknowledge_by", d => d.InList("status", "@Acknowledging")),
        (DeadlineKind.Decide, "decide_by", d => d.InList("status", "@Deciding")),
        (DeadlineKind.FollowUp, "follow_up_by", d => d.InList("status", "@Serving")),
        (DeadlineKind.Review, "review_by", d => $"override_status = @Pending AND NOT ({d.InList("status", "@Final")})"),
    ];

    private static readonly object States = new
    {
        Acknowledging = new[] { ReferralStatus.Requested.Code() },
        Deciding = new[] { ReferralStatus.Requested.Code(), ReferralStatus.Received.Code() },
        Serving = new[] { ReferralStatus.Accepted.Code(), ReferralStatus.InProgress.Code(), ReferralStatus.OnHold.Code() },
        Final = Enum.GetValues<ReferralStatus>().Where(ReferralStateMachine.IsFinal).Select(s => s.Code()).ToArray(),
        Pending = "pending",
    };

    private sealed record Candidate
    {
        public Guid ReferralId { get; init; }
        public string Deadline { get; init; } = "";
        public DateTimeOffset DueAt { get; init; }
    }

    private sealed record Referral
    {
        public string Status { get; init; } = "";
        public Guid ReferrerOrganisationId { get; init; }
        public Guid ReceiverOrganisationId { get; init; }
        public Guid ResponsibleOrganisationId { get; init; }
        public string ProtocolCode { get; init; } = "";
        public int ProtocolVersion { get; init; }
    }

    private readonly Dictionary<(string, int), Guid?> _escalationTargets = [];

    /// <summary>One pass; returns the number of breaches this pass recorded.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.Now();
        var recorded = 0;
        foreach (var candidate in await FindAsync(now, ct))
        {
            try
            {
                if (await RecordAsync(candidate, Wire.Parse<DeadlineKind>(candidate.Deadline), ct)) recorded++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One referral that cannot be recorded must not starve the others; it is retried next pass.
                logger.LogError(e, "Could not record the missed {Deadline} deadline of referral {ReferralId}.", candidate.Deadline, candidate.ReferralId);
            }
        }
        var expiredKeys = await IdempotencyStore.DeleteExpiredAsync(session, now, ct);
        if (recorded > 0 || expiredKeys > 0)
            logger.LogInformation("Deadline monitor: {Recorded} missed deadline(s) recorded, {Expired} expired idempotency key(s) deleted.", recorded, expiredKeys);
        return recorded;
    }

    private async Task<IReadOnlyList<Candidate>> FindAsync(DateTimeOffset now, CancellationToken ct)
    {
        var branches = Rules.Select((rule, i) => $"""
            SELECT id AS ReferralId, @Kind{i} AS Deadline, {rule.Column} AS DueAt FROM referrals
            WHERE {rule.Condition(session.Dialect)} AND {rule.Column} <= @Now
              AND NOT EXISTS (SELECT 1 FROM deadline_breaches b WHERE b.referral_id = referrals.id AND b.deadline = @Kind{i})
            """);
        var parameters = new DynamicParameters(States);
        parameters.Add("Now", now);
        parameters.Add("Take", Math.Max(1, options.Value.BatchSize));
        for (var i = 0; i < Rules.Length; i++) parameters.Add($"Kind{i}", Rules[i].Kind.Code());
        var connection = await session.ConnectionAsync(ct);
        return (await connection.QueryAsync<Candidate>(new CommandDefinition(
            $"{string.Join("\nUNION ALL\n", branches)}\nORDER BY DueAt\n{session.Dialect.Limit("@Take")}", parameters, cancellationToken: ct))).ToList();
    }

    private async Task<bool> RecordAsync(Candidate candidate, DeadlineKind kind, CancellationToken ct)
    {
        var rule = Rules.Single(r => r.Kind == kind);
        var connection = await session.ConnectionAsync(ct);
        await session.BeginAsync(ct);
        try
        {
            var now = clock.Now();
            var parameters = new DynamicParameters(States);
            parameters.AddDynamicParams(new { Id = candidate.ReferralId, Now = now, True = true });
            // Re-checked under the row lock this update takes: a referral acknowledged or accepted since the search has
            // no breach to record. The version is left alone: being late changes no state a client could overwrite.
            var flagged = await connection.ExecuteAsync(new CommandDefinition(
                $"UPDATE referrals SET overdue = @True WHERE id = @Id AND {rule.Condition(session.Dialect)} AND {rule.Column} <= @Now",
                parameters, session.Transaction, cancellationToken: ct));
            if (flagged == 0)
            {
                await session.RollbackAsync(ct);
                return false;
            }
            var referral = await connection.QuerySingleAsync<Referral>(new CommandDefinition("""
                SELECT status, referrer_organisation_id AS ReferrerOrganisationId, receiver_organisation_id AS ReceiverOrganisationId,
                       responsible_organisation_id AS ResponsibleOrganisationId, protocol_code AS ProtocolCode, protocol_version AS ProtocolVersion
                FROM referrals WHERE id = @Id
                """, new { Id = candidate.ReferralId }, session.Transaction, cancellationToken: ct));
            var responsible = await ResponsibleAtAsync(candidate.ReferralId, candidate.DueAt, ct) ?? referral.ResponsibleOrganisationId;

            try
            {
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO deadline_breaches (referral_id, deadline, due_at, detected_at, responsible_organisation_id, protocol_code, protocol_version)
                    VALUES (@Id, @Deadline, @DueAt, @Now, @Responsible, @ProtocolCode, @ProtocolVersion)
                    """, new
                {
                    Id = candidate.ReferralId, Deadline = kind.Code(), candidate.DueAt, Now = now, Responsible = responsible, referral.ProtocolCode,
                    referral.ProtocolVersion,
                }, session.Transaction, cancellationToken: ct));
            }
            catch (Exception e) when (session.Dialect.IsUniqueViolation(e))
            {
                // Another monitor recorded it first.
                await session.RollbackAsync(ct);
                return false;
            }

            var lateBySeconds = (long)(now - candidate.DueAt).TotalSeconds;
            // The system acts here, not a person: no principal. The organisation is the one that answered for the referral.
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO referral_timeline (referral_id, seq, occurred_at, action, from_status, to_status, organisation_id, principal_id, code, protocol_version, late_by_seconds)
                SELECT @Id, COALESCE(MAX(t.seq), 0) + 1, @Now, @Action, @Status, @Status, @Responsible, NULL, @Code, @ProtocolVersion, @LateBySeconds
                FROM referral_timeline t WHERE t.referral_id = @Id
                """, new
            {
                Id = candidate.ReferralId, Now = now, Action = "deadline_missed", referral.Status, Responsible = responsible, Code = kind.Code(),
                referral.ProtocolVersion, LateBySeconds = lateBySeconds,
            }, session.Transaction, cancellationToken: ct));

            var escalation = await EscalationTargetAsync(referral, ct);
            await Outbox.EnqueueAsync(session, EventType, candidate.ReferralId, referral.Status,
                escalation is { } target ? [referral.ReferrerOrganisationId, referral.ReceiverOrganisationId, target] : [referral.ReferrerOrganisationId, referral.ReceiverOrganisationId],
                now, ct);
            await appender.AppendAsync(session, actor: null, [new AuditEntry(AuditStreams.Referral(candidate.ReferralId), EventType, new Dictionary<string, object?>
            {
                ["referralId"] = candidate.ReferralId, ["deadline"] = kind.Code(), ["dueAt"] = candidate.DueAt, ["responsibleOrganisationId"] = responsible,
                ["lateBySeconds"] = lateBySeconds, ["escalationOrganisationId"] = escalation, ["protocolCode"] = referral.ProtocolCode,
                ["protocolVersion"] = referral.ProtocolVersion,
            })], ct);
            await session.CommitAsync(ct);
            return true;
        }
        catch
        {
            await session.RollbackAsync(CancellationToken.None);
            throw;
        }
    }

    /// <summary>Who was responsible when the deadline passed: the period that had begun by then (periods have no gaps).</summary>
    private async Task<Guid?> ResponsibleAtAsync(Guid referralId, DateTimeOffset dueAt, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        return await connection.QueryFirstOrDefaultAsync<Guid?>(new CommandDefinition($"""
            SELECT organisation_id FROM responsibility_periods WHERE referral_id = @Id AND from_at <= @DueAt
            ORDER BY seq DESC {session.Dialect.Limit("@One")}
            """, new { Id = referralId, DueAt = dueAt, One = 1 }, session.Transaction, cancellationToken: ct));
    }

    /// <summary>
    /// The pinned protocol's <c>escalateTo</c>: its fixed organisation, or the first active organisation (oldest) of
    /// its kind — the network coordinator in the seeded protocols. Null when the protocol names none or none exists.
    /// </summary>
    private async Task<Guid?> EscalationTargetAsync(Referral referral, CancellationToken ct)
    {
        var key = (referral.ProtocolCode, referral.ProtocolVersion);
        if (_escalationTargets.TryGetValue(key, out var cached)) return cached;
        var target = (await protocols.VersionAsync(referral.ProtocolCode, referral.ProtocolVersion, ct))?.Document.EscalateTo;
        var connection = await session.ConnectionAsync(ct);
        Guid? found = target switch
        {
            { OrganisationId: { } id } => await connection.QueryFirstOrDefaultAsync<Guid?>(new CommandDefinition(
                "SELECT id FROM organisations WHERE id = @Id", new { Id = id }, session.Transaction, cancellationToken: ct)),
            { OrganisationKind: { } kind } when Wire.TryParse<OrganisationKind>(kind, out _) => await connection.QueryFirstOrDefaultAsync<Guid?>(new CommandDefinition(
                $"SELECT id FROM organisations WHERE kind = @Kind AND active = @Active ORDER BY created_at, id {session.Dialect.Limit("@One")}",
                new { Kind = kind, Active = true, One = 1 }, session.Transaction, cancellationToken: ct)),
            _ => null,
        };
        _escalationTargets[key] = found;
        return found;
    }
}
