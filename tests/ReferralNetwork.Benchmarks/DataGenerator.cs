using System.Text.Json;
using System.Text.Json.Nodes;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Protocols;
using ReferralNetwork.Domain.Deadlines;
using ReferralNetwork.Domain.Referrals;
using ReferralNetwork.Infrastructure.Audit;
using ReferralNetwork.Infrastructure.Crypto;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Benchmarks;

public sealed class PersonRecord
{
    public Guid Id;
    public Guid Owner;
    public string Initials = "";
    public int BirthYear;
    public string Sex = "";
    public string Nationality = "";
    public string Languages = "";
    public string LegalStatus = "";
    public string Vulnerabilities = "";
    public byte[] Identity = [];
    public byte[] WrappedKey = [];
    public string MasterKeyId = "";
    public DateTimeOffset CreatedAt;
}

public sealed class ReferralRecord
{
    public Guid Id;
    public string Status = "";
    public Guid Referrer;
    public Guid Receiver;
    public Guid Responsible;
    public Guid PersonId;
    public string ProtocolCode = "";
    public int ProtocolVersion;
    public string Urgency = "";
    public string Services = "";
    public DateTimeOffset AcknowledgeBy;
    public DateTimeOffset DecideBy;
    public DateTimeOffset? FollowUpBy;
    public bool Overdue;
    public DateTimeOffset? AcknowledgedAt;
    public DateTimeOffset? DecidedAt;
    public DateTimeOffset? FinishedAt;
    public string? Outcome;
    public byte[] Reason = [];
    public DateTimeOffset CreatedAt;
    public DateTimeOffset UpdatedAt;
    public int Version;
}

public sealed record ServiceRecord(Guid ReferralId, string Code);

public sealed record PeriodRecord(Guid ReferralId, int Seq, Guid OrganisationId, DateTimeOffset From, DateTimeOffset? Until, string Basis, string? ClosedBasis);

public sealed record TimelineRecord(Guid ReferralId, int Seq, DateTimeOffset At, string Action, string? From, string To, Guid OrganisationId, Guid? PrincipalId,
    string? Code, int ProtocolVersion, long? LateBySeconds);

/// <summary>A row of <c>referral_duties</c> (the empty step code: no protocol steps in the generated data).</summary>
public sealed record DutyRecord(Guid ReferralId, string Deadline, Guid Holder, DateTimeOffset OpenedAt, DateTimeOffset DueAt, DateTimeOffset? ClosedAt,
    string? ClosedBasis, DateTimeOffset? BreachedAt, Guid? ResponsibleAtDue);

/// <summary>A row of <c>deadline_breaches</c>.</summary>
public sealed record BreachRecord(Guid ReferralId, string Deadline, DateTimeOffset DueAt, DateTimeOffset DetectedAt, Guid Responsible, Guid Holder,
    DateTimeOffset? ActedAt, Guid? Escalation, string ProtocolCode, int ProtocolVersion);

public sealed record EscalationRecord(Guid ReferralId, Guid OrganisationId);

/// <summary>An audit event; principal and organisation are null when the system acted (the deadline monitor).</summary>
public sealed record AuditRecord(string StreamId, long Seq, DateTimeOffset At, Guid? PrincipalId, Guid? OrganisationId, string Role, string Type, string Data,
    string PrevHash, string Hash);

public sealed record HeadRecord(string StreamId, long Seq, string Hash);

/// <summary>The rows of a run of consecutive referrals, generated off the writer's thread.</summary>
public sealed class Chunk
{
    public readonly List<PersonRecord> Persons = [];
    public readonly List<ReferralRecord> Referrals = [];
    public readonly List<ServiceRecord> Services = [];
    public readonly List<PeriodRecord> Periods = [];
    public readonly List<TimelineRecord> Timeline = [];
    public readonly List<DutyRecord> Duties = [];
    public readonly List<BreachRecord> Breaches = [];
    public readonly List<EscalationRecord> Escalations = [];
    public readonly List<AuditRecord> Audit = [];
    public readonly List<HeadRecord> Heads = [];

    public long RowCount => Persons.Count + Referrals.Count + Services.Count + Periods.Count + Timeline.Count + Duties.Count + Breaches.Count +
        Escalations.Count + Audit.Count + Heads.Count;
}

/// <summary>
/// Generates the bulk data: referrals spread over the past year (ids UUIDv7 of their creation time, so id order is
/// time order as in production), each with its person (identity sealed under a fresh data key wrapped by the run's
/// master key) and everything else made by the API's own write path: the domain's <see cref="Referral"/> aggregate
/// submits and acts (acknowledge → accept → start → complete) and records each deadline the deadline monitor would have
/// caught (a few seconds after it fell due, as the system), and its <see cref="ReferralChange"/>s become the rows
/// <c>ReferralRepository</c> writes — the referral, services, trail, duties, breaches, escalations, timeline — and the audit
/// events with the change's own event data, chained as <see cref="AuditChain"/> does. So <c>GET /audit/verify</c>
/// replays the projections from the events and finds them equal. Status mix: 60 % requested, 15 % received,
/// 15 % accepted, 10 % completed; one organisation receives exactly <c>inboxReferrals</c>, spread evenly over time.
/// </summary>
public sealed class DataGenerator
{
    private static readonly string[] GivenNames = ["Zainab", "Ahmad", "Fatima", "Omid", "Maryam", "Yusuf", "Amina", "Karim", "Leila", "Hamid", "Sara", "Bilal"];
    private static readonly string[] FamilyNames = ["Al-Hassan", "Rahimi", "Haidari", "Nazari", "Karimi", "Ahmadi", "Yousef", "Mohammadi", "Sultani", "Ibrahim"];
    private static readonly string[] Nationalities = ["SY", "AF", "IQ", "PK", "IR", "MA", "BD", "TR", "PS", "SO"];
    private static readonly string[] LanguageSets = ["ar", "fa", "ps", "ur", "ar,en", "fa,en", "ku", "so", "bn"];
    private static readonly string[] LegalStatuses = ["asylum_seeker", "asylum_seeker", "irregular", "refugee", "subsidiary_protection", "temporary_protection"];
    private static readonly string[] AdultVulnerabilities = ["", "", "", "single_parent", "chronic_illness", "survivor_of_violence", "disability", "older_person", "pregnant_or_lactating"];
    private static readonly ReferralAction[] Path = [ReferralAction.Acknowledge, ReferralAction.Accept, ReferralAction.Start, ReferralAction.Complete];

    private readonly IReadOnlyList<Organisation> _organisations;
    private readonly PersonalDataProtector _protector;
    private readonly byte[] _masterKey;
    private readonly string _masterKeyId;
    private readonly ProtocolDocument _protocol;
    private readonly int _protocolVersion;
    private readonly int _count;
    private readonly int _bigCount;
    private readonly int _seed;
    private readonly DateTimeOffset _start;
    private readonly long _spanTicks;
    private readonly DateTimeOffset _latest;
    private readonly Guid? _escalation;

    /// <param name="escalation">The protocol's escalation target, whom missed deadlines are escalated to (null: none).</param>
    public DataGenerator(IReadOnlyList<Organisation> organisations, byte[] masterKey, string masterKeyId, ProtocolDocument protocol, int protocolVersion,
        int count, int bigCount, int seed, DateTimeOffset now, Guid? escalation)
    {
        _escalation = escalation;
        _organisations = organisations;
        _masterKey = masterKey;
        _masterKeyId = masterKeyId;
        _protector = new PersonalDataProtector(masterKeyId, new Dictionary<string, byte[]> { [masterKeyId] = masterKey });
        _protocol = protocol;
        _protocolVersion = protocolVersion;
        _count = count;
        _bigCount = bigCount;
        _seed = seed;
        _latest = Micro(now - TimeSpan.FromMinutes(5));
        _start = Micro(now - TimeSpan.FromDays(365));
        _spanTicks = (now - TimeSpan.FromHours(2) - _start).Ticks;
        ReferralIds = new Guid[count];
        Receivers = new short[count];
        Referrers = new short[count];
        Versions = new byte[count];
        Statuses = new ReferralStatus[count];
    }

    /// <summary>Every generated referral by index, with its parties (organisation indexes), version and status.</summary>
    public Guid[] ReferralIds { get; }
    public short[] Receivers { get; }
    public short[] Referrers { get; }
    public byte[] Versions { get; }
    public ReferralStatus[] Statuses { get; }

    /// <summary>Requested referrals of the big organisation: what the accept scenario acts on.</summary>
    public List<int> Requested(int organisation)
    {
        var list = new List<int>();
        for (var i = 0; i < _count; i++)
            if (Receivers[i] == organisation && Statuses[i] == ReferralStatus.Requested) list.Add(i);
        return list;
    }

    public Chunk Generate(int from, int to)
    {
        var random = new Random(HashCode.Combine(_seed, from));
        var chunk = new Chunk();
        using var writer = new FastWriter(_masterKey, _masterKeyId);
        for (var i = from; i < to; i++) One(i, random, chunk, writer);
        return chunk;
    }

    private void One(int i, Random random, Chunk chunk, FastWriter fast)
    {
        var created = Micro(_start + TimeSpan.FromTicks((long)((double)_spanTicks * i / _count)));
        var big = (long)i * _bigCount / _count != ((long)i + 1) * _bigCount / _count;
        var receiver = big ? _organisations[0] : _organisations[1 + random.Next(_organisations.Count - 1)];
        Organisation referrer;
        do referrer = _organisations[random.Next(_organisations.Count)]; while (referrer.Index == receiver.Index);

        // The person, owned by the referrer.
        var personId = Guid.CreateVersion7(created);
        var given = GivenNames[random.Next(GivenNames.Length)];
        var family = FamilyNames[random.Next(FamilyNames.Length)];
        var key = fast.NewDataKey();
        var identity = new PersonIdentity(given, family, null, random.Next(4) == 0 ? $"+381 6{random.Next(10)} {random.Next(1000000, 9999999)}" : null, null, null);
        chunk.Persons.Add(new PersonRecord
        {
            Id = personId, Owner = referrer.Id, Initials = Initials.Of(given, family), BirthYear = created.Year - 19 - random.Next(55),
            Sex = random.Next(2) == 0 ? "female" : "male", Nationality = Nationalities[random.Next(Nationalities.Length)],
            Languages = LanguageSets[random.Next(LanguageSets.Length)], LegalStatus = LegalStatuses[random.Next(LegalStatuses.Length)],
            Vulnerabilities = AdultVulnerabilities[random.Next(AdultVulnerabilities.Length)],
            Identity = key.Seal(JsonSerializer.Serialize(identity), $"person:{personId}:identity"), WrappedKey = key.Wrapped,
            MasterKeyId = _masterKeyId, CreatedAt = created,
        });

        // The referral as submitted, through the aggregate.
        var id = Guid.CreateVersion7(created);
        var services = receiver.Services.OrderBy(_ => random.Next()).Take(1 + random.Next(2)).ToList();
        var roll = random.Next(100);
        var urgency = roll < 10 ? "emergency" : roll < 40 ? "urgent" : "routine";
        var deadlines = _protocol.DeadlinesFor(urgency);
        var reason = key.Seal("Needs support after arrival; details agreed by phone with the receiving caseworker.", $"referral:{id}:reason");
        key.Dispose();
        var personStream = $"person/{personId}";
        var personEvent = fast.Event(personStream, 1, created, referrer.Id, referrer.KeyId, "caseworker", "person.created", AuditChain.Genesis,
            new Dictionary<string, object?> { ["personId"] = personId, ["ownerOrganisationId"] = referrer.Id });
        chunk.Audit.Add(personEvent);
        chunk.Heads.Add(new HeadRecord(personStream, 1, personEvent.Hash));

        var stream = new StreamWriter(this, fast, chunk, id);
        var change = Referral.Submit(new Submission
        {
            Id = id, Referrer = referrer.Id, Receiver = receiver.Id, PersonId = personId, ProtocolCode = _protocol.Code, ProtocolVersion = _protocolVersion,
            Urgency = urgency, Services = services, Acknowledge = IsoDuration.Parse(deadlines.Acknowledge), Decide = IsoDuration.Parse(deadlines.Decide),
            ConsentGivenBy = "person", ConsentMethod = "verbal",
        }, new Actor(referrer.Id, referrer.KeyId), created);
        stream.Write(change, referrer);
        var referral = change.Referral;

        // How far along its life it is; a step that would land in the future is not taken. Before each step the
        // deadline monitor (which polls every few seconds) records what fell due in between.
        var monitorLag = TimeSpan.FromSeconds(1 + random.Next(30));
        roll = random.Next(100);
        var depth = roll < 60 ? 0 : roll < 75 ? 1 : roll < 90 ? 2 : 4;
        var at = created;
        var followUp = IsoDuration.Parse(deadlines.FollowUp);
        for (var step = 0; step < depth; step++)
        {
            var action = Path[step];
            var next = Micro(at + action switch
            {
                ReferralAction.Acknowledge => TimeSpan.FromMinutes(5 + random.Next(175)),
                ReferralAction.Accept => TimeSpan.FromMinutes(10 + random.Next(24 * 60)),
                ReferralAction.Start => TimeSpan.FromMinutes(60 + random.Next(47 * 60)),
                _ => TimeSpan.FromMinutes(24 * 60 + random.Next(20 * 24 * 60)),
            });
            if (next > _latest) break;
            at = next;
            stream.MissDeadlinesBefore(referral, at, monitorLag);
            var outcome = action == ReferralAction.Complete ? CompletionOutcome.ServiceProvided : (CompletionOutcome?)null;
            stream.Write(referral.Act(action, Party.Receiver, new Actor(receiver.Id, receiver.KeyId), at, outcome, followUp: followUp), receiver);
        }
        stream.MissDeadlinesBefore(referral, _latest, monitorLag);

        var state = referral.State;
        var record = new ReferralRecord
        {
            Id = id, Status = state.Status.Code(), Referrer = referrer.Id, Receiver = receiver.Id, Responsible = referral.Responsible, PersonId = personId,
            ProtocolCode = state.ProtocolCode, ProtocolVersion = state.ProtocolVersion, Urgency = urgency, Services = string.Join(',', services),
            AcknowledgeBy = referral.DutyOf(DeadlineKind.Acknowledge)!.DueAt, DecideBy = referral.DutyOf(DeadlineKind.Decide)!.DueAt,
            FollowUpBy = referral.DutyOf(DeadlineKind.FollowUp)?.DueAt, Overdue = state.Overdue, AcknowledgedAt = state.AcknowledgedAt,
            DecidedAt = state.DecidedAt, FinishedAt = state.FinishedAt, Outcome = state.Outcome, Reason = reason, CreatedAt = state.CreatedAt,
            UpdatedAt = state.UpdatedAt, Version = state.Version,
        };
        if (i % 9973 == 0) SelfCheck(chunk.Persons[^1], record);
        chunk.Referrals.Add(record);
        foreach (var s in services) chunk.Services.Add(new ServiceRecord(id, s));
        stream.Finish(referral);

        ReferralIds[i] = id;
        Receivers[i] = (short)receiver.Index;
        Referrers[i] = (short)referrer.Index;
        Versions[i] = (byte)state.Version;
        Statuses[i] = state.Status;
    }

    /// <summary>
    /// One referral's stream: turns each <see cref="ReferralChange"/> into what <c>ReferralRepository.SaveAsync</c> and
    /// the audit appender write (audit event, timeline row, escalation rows), and at the end its trail, duties and breaches.
    /// </summary>
    private sealed class StreamWriter(DataGenerator generator, FastWriter fast, Chunk chunk, Guid id)
    {
        private readonly string _stream = $"referral/{id}";
        private readonly Dictionary<int, string> _closedBasis = [];
        private string _hash = AuditChain.Genesis;
        private long _seq;
        private int _timeline;

        /// <param name="actor">The organisation whose key acted; null when the system did (the deadline monitor).</param>
        public void Write(ReferralChange change, Organisation? actor)
        {
            var e = fast.Event(_stream, ++_seq, change.At, actor?.Id, actor?.KeyId, actor is null ? "system" : "caseworker", change.EventType, _hash,
                change.EventData);
            _hash = e.Hash;
            chunk.Audit.Add(e);
            if (change.Timeline is { } t)
                chunk.Timeline.Add(new TimelineRecord(id, ++_timeline, change.At, t.Action, t.From?.Code(), t.To.Code(), t.OrganisationId, t.PrincipalId, t.Code,
                    generator._protocolVersion, t.LateBySeconds));
            foreach (var organisation in change.EscalationsAdded) chunk.Escalations.Add(new EscalationRecord(id, organisation));
            foreach (var c in change.Responsibility.Where(c => c.Kind == ChangeKind.Closed)) _closedBasis[c.Sequence] = c.Basis;
        }

        /// <summary>What the deadline monitor records before <paramref name="until"/>: each open duty, <paramref name="lag"/> after it fell due.</summary>
        public void MissDeadlinesBefore(Referral referral, DateTimeOffset until, TimeSpan lag)
        {
            foreach (var duty in referral.Duties.Where(d => d is { IsOpen: true, IsBreached: false } && d.DueAt + lag < until).OrderBy(d => d.DueAt).ToList())
                if (referral.MissDeadline(duty.Deadline, Micro(duty.DueAt + lag), generator._escalation, duty.Step) is { } missed) Write(missed, null);
        }

        public void Finish(Referral referral)
        {
            for (var p = 0; p < referral.Trail.Periods.Count; p++)
            {
                var period = referral.Trail.Periods[p];
                chunk.Periods.Add(new PeriodRecord(id, p + 1, period.OrganisationId, period.From, period.Until, period.Basis, _closedBasis.GetValueOrDefault(p)));
            }
            var escalation = referral.Escalations.Count > 0 ? referral.Escalations[^1] : (Guid?)null;
            foreach (var d in referral.Duties)
            {
                chunk.Duties.Add(new DutyRecord(id, d.Deadline.Code(), d.HolderOrganisationId, d.OpenedAt, d.DueAt, d.ClosedAt, d.ClosedBasis, d.BreachedAt,
                    d.ResponsibleAtDue));
                if (d.BreachedAt is { } detected)
                    chunk.Breaches.Add(new BreachRecord(id, d.Deadline.Code(), d.DueAt, detected, d.ResponsibleAtDue!.Value, d.HolderOrganisationId, d.ClosedAt,
                        escalation, referral.State.ProtocolCode, referral.State.ProtocolVersion));
            }
            chunk.Heads.Add(new HeadRecord(_stream, _seq, _hash));
        }
    }

    /// <summary>
    /// The generator writes sealed data and audit hashes with its own fast code (<see cref="FastWriter"/>); every few
    /// thousand rows are re-checked with the API's own <see cref="PersonalDataProtector"/> and <see cref="AuditChain"/>,
    /// so a divergence stops the load instead of failing <c>verify</c> later.
    /// </summary>
    private void SelfCheck(PersonRecord person, ReferralRecord referral)
    {
        var key = _protector.Unwrap(person.WrappedKey, person.MasterKeyId);
        _ = JsonSerializer.Deserialize<PersonIdentity>(_protector.Open(key, person.Identity, $"person:{person.Id}:identity"));
        _ = _protector.Open(key, referral.Reason, $"referral:{referral.Id}:reason");
    }

    internal static void SelfCheck(AuditRecord e)
    {
        var record = new AuditEventRow
        {
            StreamId = e.StreamId, Seq = e.Seq, OccurredAt = e.At, PrincipalId = e.PrincipalId, OrganisationId = e.OrganisationId, Role = e.Role, Type = e.Type,
            Data = e.Data, PrevHash = e.PrevHash, Hash = e.Hash,
        };
        if (AuditChain.Recompute(record) != e.Hash || CanonicalJson.Text(JsonNode.Parse(e.Data)) != e.Data)
            throw new InvalidOperationException($"The generator's audit hash of {e.StreamId}#{e.Seq} differs from AuditChain's: fix FastWriter.");
    }

    /// <summary>Truncated to microseconds, as the API's clock does (the precision every engine keeps).</summary>
    public static DateTimeOffset Micro(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % 10, TimeSpan.Zero);
}
