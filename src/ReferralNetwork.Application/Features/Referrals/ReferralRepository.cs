using System.Text.Json;
using Dapper;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Deadlines;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Referrals;

/// <summary>A referral as loaded for a change: the aggregate, its person, its sealed texts and its audit stream's head.</summary>
public sealed record LoadedReferral(Referral Referral, PersonRow Person, byte[]? ReasonSealed, KnownHead Head);

/// <summary>
/// The one write path of referrals (STYLE: "one repository method persists every change"). <see cref="LoadAsync"/>
/// reads a referral, its person and its stream head in one statement and its trail, duties, observers and escalations in
/// a second; <see cref="SaveAsync"/> writes what a <see cref="ReferralChange"/> says — the row guarded by its version
/// (a concurrent change wins: 412), trail, duties, breaches, observers, escalations, timeline, outbox — and records the
/// audit event, whose data carries the trail and duty steps (docs/accountability-events.md), so that every projection
/// written here can be replayed from the chain. Nothing else writes these tables.
/// </summary>
public sealed class ReferralRepository(IDbSession session, IAuditLog audit)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<LoadedReferral?> LoadAsync(Guid id, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var stream = AuditStreams.Referral(id);
        // Two statements: under READ COMMITTED (PostgreSQL, SQL Server) another transaction can commit between them. Its
        // change moved the stream head, which the second statement reads again: a torn read is read once more.
        for (var attempt = 1; ; attempt++)
        {
            var row = await connection.QuerySingleOrDefaultAsync<StoredRow>(new CommandDefinition($"""
                SELECT {StoredRow.Columns}
                FROM referrals r JOIN persons p ON p.id = r.person_id LEFT JOIN audit_stream_heads h ON h.stream_id = @Stream
                WHERE r.id = @Id
                """, new { Id = id, Stream = stream }, session.Transaction, cancellationToken: ct));
            if (row is null) return null;
            var parts = (await connection.QueryAsync<PartRow>(new CommandDefinition(PartRow.Sql, new { Id = id, Stream = stream }, session.Transaction,
                cancellationToken: ct))).ToList();
            if (parts.Single(p => p.Part == 0).Seq == (row.HeadSeq ?? 0)) return Restore(row, parts);
            if (attempt == 3) throw new PreconditionFailedException("The referral was changed by someone else at the same time; read it again before acting.");
        }
    }

    private static LoadedReferral Restore(StoredRow row, List<PartRow> parts)
    {
        var state = row.ToState() with
        {
            Duties = parts.Where(p => p.Part == 2).Select(p => p.ToDuty()).ToList(),
            Observers = parts.Where(p => p.Part == 3).Select(p => new Observer(p.Org, p.C1!)).ToList(),
            Escalations = parts.Where(p => p.Part == 4).Select(p => p.Org).ToList(),
            Steps = parts.Where(p => p.Part == 5).OrderBy(p => p.T1).Select(p => new StepDone(p.C1!, p.T1!.Value, p.Org, p.Org2, p.Id3)).ToList(),
        };
        var periods = parts.Where(p => p.Part == 1).OrderBy(p => p.Seq).Select(p => new ResponsibilityPeriod(p.Org, p.T1!.Value, p.T2, p.C1!));
        return new LoadedReferral(Referral.Restore(state, periods), row.ToPerson(), row.ReasonSealed, new KnownHead(row.HeadSeq ?? 0, row.HeadHash));
    }

    /// <summary>Persists one change in the open transaction. <paramref name="head"/> is the stream head read with the referral (null for a new one).</summary>
    public async Task SaveAsync(ReferralChange change, KnownHead? head, CancellationToken ct, Sealed? sealedTexts = null)
    {
        var connection = await session.ConnectionAsync(ct);
        var referral = change.Referral;
        var state = referral.State;
        if (change.Created)
        {
            await ExecuteAsync(connection, InsertSql, Parameters(referral, change.ExpectedVersion, sealedTexts), ct);
            await InsertRowsAsync(connection, "referral_services", ["referral_id", "service_code"], state.Services.Select(s => new object?[] { state.Id, s }), ct);
        }
        else if (change.RowChanged)
        {
            var updated = await connection.ExecuteAsync(new CommandDefinition(UpdateSql, Parameters(referral, change.ExpectedVersion, sealedTexts), session.Transaction,
                cancellationToken: ct));
            // Both saw the same version; the other transaction committed first. Nothing of this one is kept.
            if (updated == 0) throw new PreconditionFailedException("The referral was changed by someone else at the same time; read it again before acting.");
        }

        await UpsertRowsAsync(connection, "responsibility_periods", ["referral_id", "seq", "organisation_id", "from_at", "until_at", "basis", "closed_basis"],
            ["referral_id", "seq"], LatestPerKey(change.Responsibility, c => c.Sequence).Select(c => new object?[]
            {
                state.Id, c.Sequence + 1, c.Period.OrganisationId, c.Period.From, c.Period.Until, c.Period.Basis,
                c.Kind == ChangeKind.Closed ? c.Basis : ClosedBasisOf(change.Responsibility, c.Sequence),
            }), ct);
        // A step duty's key is its kind plus its step code; every other duty has the empty step code.
        var duties = LatestPerKey(change.Duties, d => (d.Duty.Deadline, d.Duty.Step ?? "")).Select(d => d.Duty).ToList();
        await UpsertRowsAsync(connection, "referral_duties",
            ["referral_id", "deadline", "step_code", "holder_organisation_id", "opened_at", "due_at", "closed_at", "closed_basis", "breached_at", "responsible_at_due",
             "holder_assignee_id"],
            ["referral_id", "deadline", "step_code"], duties.Select(d => new object?[]
            {
                state.Id, d.Deadline.Code(), d.Step ?? "", d.HolderOrganisationId, d.OpenedAt, d.DueAt, d.ClosedAt, d.ClosedBasis, d.BreachedAt, d.ResponsibleAtDue,
                d.HolderAssignee,
            }), ct);
        await UpsertRowsAsync(connection, "deadline_breaches",
            ["referral_id", "deadline", "step_code", "due_at", "detected_at", "responsible_organisation_id", "holder_organisation_id", "acted_at",
             "escalation_organisation_id", "protocol_code", "protocol_version", "holder_assignee_id"],
            ["referral_id", "deadline", "step_code"], duties.Where(d => d.IsBreached).Select(d => new object?[]
            {
                state.Id, d.Deadline.Code(), d.Step ?? "", d.DueAt, d.BreachedAt, d.ResponsibleAtDue, d.HolderOrganisationId, d.ClosedAt,
                EscalationOf(referral),
                state.ProtocolCode, state.ProtocolVersion, d.HolderAssignee,
            }), ct);
        await InsertRowsAsync(connection, "referral_observers", ["referral_id", "organisation_id", "basis"],
            change.ObserversAdded.Select(o => new object?[] { state.Id, o.OrganisationId, o.Basis }), ct);
        await InsertRowsAsync(connection, "referral_escalations", ["referral_id", "organisation_id"],
            change.EscalationsAdded.Select(o => new object?[] { state.Id, o }), ct);
        // The primary key (referral, step) is the last guard against recording a step twice.
        if (change.StepDone is { } step)
            await InsertRowsAsync(connection, "referral_steps", ["referral_id", "step_code", "done_at", "organisation_id", "principal_id", "note_id"],
                [[state.Id, step.Code, step.DoneAt, step.OrganisationId, step.PrincipalId, step.NoteId]], ct);

        if (change.Timeline is { } t)
            await ExecuteAsync(connection, """
                INSERT INTO referral_timeline (referral_id, seq, occurred_at, action, from_status, to_status, organisation_id, principal_id, code, protocol_version,
                                               late_by_seconds, subject_user_id)
                SELECT @ReferralId, COALESCE(MAX(t.seq), 0) + 1, @OccurredAt, @Action, @FromStatus, @ToStatus, @OrganisationId, @PrincipalId, @Code,
                       @ProtocolVersion, @LateBySeconds, @SubjectUserId
                FROM referral_timeline t WHERE t.referral_id = @ReferralId
                """, new
            {
                ReferralId = state.Id, OccurredAt = change.At, t.Action,
                FromStatus = t.From?.Code(), ToStatus = t.To.Code(), t.OrganisationId, t.PrincipalId, t.Code, state.ProtocolVersion, t.LateBySeconds,
                t.SubjectUserId,
            }, ct);
        await InsertRowsAsync(connection, "outbox_messages", ["id", "event_type", "referral_id", "status", "organisation_ids", "occurred_at", "fanned_out_at", "data"],
            change.Notifications.Select(n => new object?[]
            {
                Guid.CreateVersion7(), n.EventType, state.Id, state.Status.Code(), string.Join(',', n.Recipients.Select(o => o.ToString("D"))),
                change.At, null, n.Data.Count == 0 ? null : JsonSerializer.Serialize(n.Data, Json),
            }), ct);

        audit.Record(new AuditEntry(AuditStreams.Referral(state.Id), change.EventType, change.EventData) { ExpectedHead = head ?? KnownHead.NewStream });
    }

    /// <summary>Sealed texts that go into the referral row when it is written (reason and override justification at submission, a review note).</summary>
    public sealed record Sealed(byte[]? Reason = null, byte[]? OverrideJustification = null, byte[]? OverrideReviewNote = null);

    // The escalation target breaches of this referral are announced to: its protocol's, the same for every breach.
    private static Guid? EscalationOf(Referral referral) => referral.Escalations.Count > 0 ? referral.Escalations[^1] : null;

    private static string? ClosedBasisOf(IReadOnlyList<ResponsibilityChange> changes, int sequence) =>
        changes.LastOrDefault(c => c.Sequence == sequence && c.Kind == ChangeKind.Closed)?.Basis;

    private static IEnumerable<T> LatestPerKey<T, TKey>(IEnumerable<T> items, Func<T, TKey> key) where TKey : notnull
    {
        var latest = new Dictionary<TKey, T>();
        var order = new List<TKey>();
        foreach (var item in items)
        {
            var k = key(item);
            if (!latest.ContainsKey(k)) order.Add(k);
            latest[k] = item;
        }
        return order.Select(k => latest[k]);
    }

    private async Task ExecuteAsync(System.Data.Common.DbConnection connection, string sql, object parameters, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, session.Transaction, cancellationToken: ct));

    /// <summary>All rows in one multi-row INSERT (Dapper would run one statement per element of a list).</summary>
    private async Task InsertRowsAsync(System.Data.Common.DbConnection connection, string table, string[] columns, IEnumerable<object?[]> rows, CancellationToken ct)
    {
        var (values, parameters) = Rows(columns, rows);
        if (values.Count == 0) return;
        await ExecuteAsync(connection, $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES {string.Join(", ", values)}", parameters, ct);
    }

    private async Task UpsertRowsAsync(System.Data.Common.DbConnection connection, string table, string[] columns, string[] keys, IEnumerable<object?[]> rows,
        CancellationToken ct)
    {
        var (values, parameters) = Rows(columns, rows);
        if (values.Count == 0) return;
        await ExecuteAsync(connection, session.Dialect.Upsert(table, columns, keys, values), parameters, ct);
    }

    private static (List<string> Values, DynamicParameters Parameters) Rows(string[] columns, IEnumerable<object?[]> rows)
    {
        var values = new List<string>();
        var parameters = new DynamicParameters();
        foreach (var row in rows)
        {
            var names = new string[columns.Length];
            for (var c = 0; c < columns.Length; c++)
            {
                names[c] = $"@p{values.Count}_{c}";
                parameters.Add(names[c][1..], row[c]);
            }
            values.Add($"({string.Join(", ", names)})");
        }
        return (values, parameters);
    }

    private static object Parameters(Referral referral, int expected, Sealed? texts)
    {
        var s = referral.State;
        return new
        {
            s.Id, Status = s.Status.Code(), s.Referrer, s.Receiver, Responsible = referral.Responsible, s.PersonId, s.ProtocolCode, s.ProtocolVersion, s.Urgency,
            Services = string.Join(',', s.Services),
            AcknowledgeBy = referral.DutyOf(DeadlineKind.Acknowledge)?.DueAt, DecideBy = referral.DutyOf(DeadlineKind.Decide)?.DueAt,
            FollowUpBy = referral.DutyOf(DeadlineKind.FollowUp)?.DueAt, ReviewBy = referral.DutyOf(DeadlineKind.Review)?.DueAt, s.Overdue,
            s.AcknowledgedAt, s.DecidedAt, s.FinishedAt, s.Outcome, s.DeclineReason, ConsentBasis = s.ConsentBasis.Code(), s.ConsentGivenBy, s.ConsentMethod,
            s.ConsentId, OverrideStatus = s.Override?.Status.Code(), OverrideSubmittedBy = s.Override?.SubmittedBy, OverrideReviewedAt = s.Override?.ReviewedAt,
            OverrideReviewedBy = s.Override?.ReviewedBy, GuardianClaim = s.GuardianClaim?.Code(), s.PartOf, s.CreatedAt, s.UpdatedAt, s.Version, Expected = expected,
            s.ReferrerAssignee, s.ReceiverAssignee,
            Reason = texts?.Reason, Justification = texts?.OverrideJustification, ReviewNote = texts?.OverrideReviewNote,
        };
    }

    private const string InsertSql = """
        INSERT INTO referrals (id, status, referrer_organisation_id, receiver_organisation_id, responsible_organisation_id, person_id, protocol_code,
                               protocol_version, urgency, services, acknowledge_by, decide_by, follow_up_by, review_by, overdue, acknowledged_at, decided_at,
                               finished_at, outcome, decline_reason, consent_basis, consent_given_by, consent_method, consent_id, override_status,
                               override_submitted_by, override_justification_sealed, guardian_claim, reason_sealed, part_of, created_at, updated_at, version)
        VALUES (@Id, @Status, @Referrer, @Receiver, @Responsible, @PersonId, @ProtocolCode, @ProtocolVersion, @Urgency, @Services, @AcknowledgeBy, @DecideBy,
                @FollowUpBy, @ReviewBy, @Overdue, @AcknowledgedAt, @DecidedAt, @FinishedAt, @Outcome, @DeclineReason, @ConsentBasis, @ConsentGivenBy,
                @ConsentMethod, @ConsentId, @OverrideStatus, @OverrideSubmittedBy, @Justification, @GuardianClaim, @Reason, @PartOf, @CreatedAt, @UpdatedAt, @Version)
        """;

    private const string UpdateSql = """
        UPDATE referrals
        SET status = @Status, responsible_organisation_id = @Responsible, acknowledge_by = @AcknowledgeBy, decide_by = @DecideBy, follow_up_by = @FollowUpBy,
            review_by = @ReviewBy, overdue = @Overdue, acknowledged_at = @AcknowledgedAt, decided_at = @DecidedAt, finished_at = @FinishedAt, outcome = @Outcome,
            decline_reason = @DeclineReason, override_status = @OverrideStatus, override_reviewed_at = @OverrideReviewedAt, override_reviewed_by = @OverrideReviewedBy,
            override_review_note_sealed = COALESCE(@ReviewNote, override_review_note_sealed), guardian_claim = @GuardianClaim, updated_at = @UpdatedAt, version = @Version,
            referrer_assignee_id = @ReferrerAssignee, receiver_assignee_id = @ReceiverAssignee
        WHERE id = @Id AND version = @Expected
        """;

    /// <summary>The referral row with its person and its stream head. Init properties: Dapper then uses the type handlers.</summary>
    private sealed record StoredRow
    {
        public const string Columns = """
            r.id, r.status, r.referrer_organisation_id AS Referrer, r.receiver_organisation_id AS Receiver, r.person_id AS PersonId,
            r.protocol_code AS ProtocolCode, r.protocol_version AS ProtocolVersion, r.urgency, r.services, r.part_of AS PartOf, r.overdue,
            r.consent_basis AS ConsentBasis, r.consent_given_by AS ConsentGivenBy, r.consent_method AS ConsentMethod, r.consent_id AS ConsentId,
            r.override_status AS OverrideStatus, r.override_submitted_by AS OverrideSubmittedBy, r.override_reviewed_by AS OverrideReviewedBy,
            r.override_reviewed_at AS OverrideReviewedAt, r.guardian_claim AS GuardianClaim, r.acknowledged_at AS AcknowledgedAt, r.decided_at AS DecidedAt,
            r.finished_at AS FinishedAt, r.outcome, r.decline_reason AS DeclineReason, r.created_at AS CreatedAt, r.updated_at AS UpdatedAt, r.version,
            r.reason_sealed AS ReasonSealed, r.referrer_assignee_id AS ReferrerAssignee, r.receiver_assignee_id AS ReceiverAssignee,
            p.owner_organisation_id AS POwner, p.external_ref AS PExternalRef, p.initials AS PInitials, p.birth_year AS PBirthYear, p.sex AS PSex,
            p.nationality AS PNationality, p.languages AS PLanguages, p.legal_status AS PLegalStatus, p.vulnerabilities AS PVulnerabilities,
            p.guardian_organisation_id AS PGuardian, p.wrapped_key AS PWrappedKey, p.master_key_id AS PMasterKeyId, p.erased_at AS PErasedAt,
            h.seq AS HeadSeq, h.hash AS HeadHash
            """;

        public Guid Id { get; init; }
        public string Status { get; init; } = "";
        public Guid Referrer { get; init; }
        public Guid Receiver { get; init; }
        public Guid PersonId { get; init; }
        public string ProtocolCode { get; init; } = "";
        public int ProtocolVersion { get; init; }
        public string Urgency { get; init; } = "";
        public string Services { get; init; } = "";
        public Guid? PartOf { get; init; }
        public bool Overdue { get; init; }
        public string? ConsentBasis { get; init; }
        public string? ConsentGivenBy { get; init; }
        public string? ConsentMethod { get; init; }
        public Guid? ConsentId { get; init; }
        public string? OverrideStatus { get; init; }
        public Guid? OverrideSubmittedBy { get; init; }
        public Guid? OverrideReviewedBy { get; init; }
        public DateTimeOffset? OverrideReviewedAt { get; init; }
        public string? GuardianClaim { get; init; }
        public DateTimeOffset? AcknowledgedAt { get; init; }
        public DateTimeOffset? DecidedAt { get; init; }
        public DateTimeOffset? FinishedAt { get; init; }
        public string? Outcome { get; init; }
        public string? DeclineReason { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }
        public int Version { get; init; }
        public byte[]? ReasonSealed { get; init; }
        public Guid? ReferrerAssignee { get; init; }
        public Guid? ReceiverAssignee { get; init; }
        public Guid POwner { get; init; }
        public string? PExternalRef { get; init; }
        public string? PInitials { get; init; }
        public int PBirthYear { get; init; }
        public string PSex { get; init; } = "";
        public string? PNationality { get; init; }
        public string PLanguages { get; init; } = "";
        public string PLegalStatus { get; init; } = "";
        public string PVulnerabilities { get; init; } = "";
        public Guid? PGuardian { get; init; }
        public byte[]? PWrappedKey { get; init; }
        public string? PMasterKeyId { get; init; }
        public DateTimeOffset? PErasedAt { get; init; }
        public long? HeadSeq { get; init; }
        public string? HeadHash { get; init; }

        public ReferralState ToState() => new()
        {
            Id = Id, Status = Wire.Parse<ReferralStatus>(Status), Referrer = Referrer, Receiver = Receiver, PersonId = PersonId, ProtocolCode = ProtocolCode,
            ProtocolVersion = ProtocolVersion, Urgency = Urgency, Services = Services.Split(',', StringSplitOptions.RemoveEmptyEntries), PartOf = PartOf,
            Overdue = Overdue,
            ConsentBasis = Wire.TryParse<ConsentBasis>(ConsentBasis, out var basis) ? basis
                : OverrideStatus is null ? Domain.Referrals.ConsentBasis.Consent : Domain.Referrals.ConsentBasis.EmergencyOverride,
            ConsentGivenBy = ConsentGivenBy, ConsentMethod = ConsentMethod, ConsentId = ConsentId,
            Override = OverrideStatus is null ? null
                : new EmergencyOverride(OverrideSubmittedBy ?? Guid.Empty, Wire.Parse<OverrideStatus>(OverrideStatus), OverrideReviewedBy, OverrideReviewedAt),
            GuardianClaim = GuardianClaim is null ? null : Wire.Parse<GuardianClaimStatus>(GuardianClaim),
            AcknowledgedAt = AcknowledgedAt, DecidedAt = DecidedAt, FinishedAt = FinishedAt, Outcome = Outcome, DeclineReason = DeclineReason,
            CreatedAt = CreatedAt, UpdatedAt = UpdatedAt, Version = Version, ReferrerAssignee = ReferrerAssignee, ReceiverAssignee = ReceiverAssignee,
        };

        public PersonRow ToPerson() => new()
        {
            Id = PersonId, OwnerOrganisationId = POwner, ExternalRef = PExternalRef, Initials = PInitials, BirthYear = PBirthYear, Sex = PSex,
            Nationality = PNationality, Languages = PLanguages, LegalStatus = PLegalStatus, Vulnerabilities = PVulnerabilities, GuardianOrganisationId = PGuardian,
            WrappedKey = PWrappedKey, MasterKeyId = PMasterKeyId, ErasedAt = PErasedAt,
        };
    }

    /// <summary>
    /// Trail periods (1), duties (2), observers (3), escalations (4) and steps done (5) of one referral, in one statement, with the stream
    /// head's sequence (0) of the same snapshot.
    /// Id3 takes its uuid type from a column in the first branch (PostgreSQL would type two untyped NULLs as text).
    /// </summary>
    private sealed record PartRow
    {
        public const string Sql = """
            SELECT 1 AS Part, seq AS Seq, organisation_id AS Org, NULL AS Org2, CASE WHEN 1 = 0 THEN organisation_id END AS Id3, from_at AS T1, until_at AS T2, NULL AS T3, NULL AS T4, basis AS C1,
                   closed_basis AS C2, NULL AS C3
            FROM responsibility_periods WHERE referral_id = @Id
            UNION ALL
            SELECT 2, 0, holder_organisation_id, responsible_at_due, holder_assignee_id, opened_at, due_at, closed_at, breached_at, deadline, closed_basis, step_code
            FROM referral_duties WHERE referral_id = @Id
            UNION ALL
            SELECT 3, 0, organisation_id, NULL, NULL, NULL, NULL, NULL, NULL, basis, NULL, NULL FROM referral_observers WHERE referral_id = @Id
            UNION ALL
            SELECT 4, 0, organisation_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM referral_escalations WHERE referral_id = @Id
            UNION ALL
            SELECT 5, 0, organisation_id, principal_id, note_id, done_at, NULL, NULL, NULL, step_code, NULL, NULL FROM referral_steps WHERE referral_id = @Id
            UNION ALL
            SELECT 0, COALESCE((SELECT h.seq FROM audit_stream_heads h WHERE h.stream_id = @Stream), 0), r.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL
            FROM referrals r WHERE r.id = @Id
            """;

        public int Part { get; init; }
        public long Seq { get; init; }
        public Guid Org { get; init; }
        public Guid? Org2 { get; init; }
        public Guid? Id3 { get; init; }
        public DateTimeOffset? T1 { get; init; }
        public DateTimeOffset? T2 { get; init; }
        public DateTimeOffset? T3 { get; init; }
        public DateTimeOffset? T4 { get; init; }
        public string? C1 { get; init; }
        public string? C2 { get; init; }
        public string? C3 { get; init; }

        public Duty ToDuty() => new(Wire.Parse<DeadlineKind>(C1!), Org, T1!.Value, T2!.Value)
        {
            Step = string.IsNullOrEmpty(C3) ? null : C3, ClosedAt = T3, ClosedBasis = C2, BreachedAt = T4, ResponsibleAtDue = Org2, HolderAssignee = Id3,
        };
    }
}
