using Dapper;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Protocols;
using ReferralNetwork.Application.Features.Referrals;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Deadlines;

namespace ReferralNetwork.Application.Features.Deadlines;

/// <summary>A duty that passed its due time while open and has no breach yet (<paramref name="Step"/>: the step of a step duty).</summary>
public sealed record DueDuty(Guid ReferralId, string Deadline, DateTimeOffset DueAt, string? Step = null);

/// <summary>The duties due by <paramref name="Now"/> and not yet breached, oldest first: what the deadline monitor records next.</summary>
[AllowedRoles(Role.System)]
public sealed record FindDueDutiesQuery(DateTimeOffset Now, int Take) : IQuery<IReadOnlyList<DueDuty>>;

public sealed class FindDueDutiesHandler(IDbSession session) : IQueryHandler<FindDueDutiesQuery, IReadOnlyList<DueDuty>>
{
    public async ValueTask<IReadOnlyList<DueDuty>> Handle(FindDueDutiesQuery query, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        // The partial index ix_referral_duties_due holds exactly these rows.
        var rows = await connection.QueryAsync<Row>(new CommandDefinition($"""
            SELECT referral_id AS ReferralId, deadline, step_code AS StepCode, due_at AS DueAt FROM referral_duties
            WHERE closed_at IS NULL AND breached_at IS NULL AND due_at <= @Now
            ORDER BY due_at {session.Dialect.Limit("@Take")}
            """, new { query.Now, Take = Math.Max(1, query.Take) }, session.Transaction, cancellationToken: ct));
        return rows.Select(r => new DueDuty(r.ReferralId, r.Deadline, r.DueAt, string.IsNullOrEmpty(r.StepCode) ? null : r.StepCode)).ToList();
    }

    private sealed record Row
    {
        public Guid ReferralId { get; init; }
        public string Deadline { get; init; } = "";
        public string? StepCode { get; init; }
        public DateTimeOffset DueAt { get; init; }
    }
}

/// <summary>
/// Records one missed deadline through the one write path (DESIGN §5): the breach (once per duty, however many monitors
/// run: the referral's version guard lets one win, the others get 412 and skip), the overdue flag, a timeline entry,
/// <c>referral.deadline_missed</c> for referrer, receiver, the duty's holder and the protocol's escalation target, and
/// the audit event with the system as actor. True when this call recorded it.
/// </summary>
[AllowedRoles(Role.System)]
public sealed record RecordMissedDeadlineCommand(Guid ReferralId, string Deadline, string? Step = null) : ICommand<bool>;

public sealed class RecordMissedDeadlineHandler(Clock clock, ReferralRepository repository, ProtocolStore protocols, EscalationTargets escalation)
    : ICommandHandler<RecordMissedDeadlineCommand, bool>
{
    public async ValueTask<bool> Handle(RecordMissedDeadlineCommand command, CancellationToken ct)
    {
        if (!Wire.TryParse<DeadlineKind>(command.Deadline, out var deadline)) return false;
        var loaded = await repository.LoadAsync(command.ReferralId, ct);
        if (loaded is null) return false;
        var state = loaded.Referral.State;
        var protocol = await protocols.VersionAsync(state.ProtocolCode, state.ProtocolVersion, ct);
        var target = protocol is null ? null : await escalation.ForAsync(state.ProtocolCode, state.ProtocolVersion, protocol.Document, ct);
        if (loaded.Referral.MissDeadline(deadline, clock.Now(), target, command.Step) is not { } change) return false;
        await repository.SaveAsync(change, loaded.Head, ct);
        return true;
    }
}
