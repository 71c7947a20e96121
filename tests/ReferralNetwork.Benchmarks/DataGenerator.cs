using System.Text.Json;
using System.Text.Json.Nodes;
using ReferralNetwork.Application.Features.Persons;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Protocols;
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

public sealed record TimelineRecord(Guid ReferralId, int Seq, DateTimeOffset At, string Action, string? From, string To, Guid OrganisationId, Guid PrincipalId,
    string? Code, int ProtocolVersion, long? LateBySeconds);

public sealed record AuditRecord(string StreamId, long Seq, DateTimeOffset At, Guid PrincipalId, Guid OrganisationId, string Role, string Type, string Data,
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
    public readonly List<AuditRecord> Audit = [];
    public readonly List<HeadRecord> Heads = [];

    public long RowCount => Persons.Count + Referrals.Count + Services.Count + Periods.Count + Timeline.Count + Audit.Count + Heads.Count;
}

/// <summary>
/// Generates the bulk data: referrals spread over the past year (ids UUIDv7 of their creation time, so id order is
/// time order as in production), each with its person (identity sealed under a fresh data key wrapped by the run's
/// master key), services, responsibility periods from the domain's own <see cref="ResponsibilityTrail"/>, timeline rows
/// and audit events chained with the API's own <see cref="AuditChain"/> — so <c>GET /audit/verify</c> passes over them.
/// Status mix: 60 % requested, 15 % received, 15 % accepted, 10 % completed (acknowledge → accept → start → complete).
/// One organisation receives exactly <c>inboxReferrals</c> of them, spread evenly over time.
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

    public DataGenerator(IReadOnlyList<Organisation> organisations, byte[] masterKey, string masterKeyId, ProtocolDocument protocol, int protocolVersion,
        int count, int bigCount, int seed, DateTimeOffset now)
    {
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
    }

    /// <summary>Every generated referral by index, with its parties (organisation indexes) and version.</summary>
    public Guid[] ReferralIds { get; }
    public short[] Receivers { get; }
    public short[] Referrers { get; }
    public byte[] Versions { get; }

    /// <summary>Requested referrals of the big organisation (version 1): what the accept scenario acts on.</summary>
    public List<int> Requested(int organisation)
    {
        var list = new List<int>();
        for (var i = 0; i < _count; i++)
            if (Receivers[i] == organisation && Versions[i] == 1) list.Add(i);
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

        // The referral as submitted.
        var id = Guid.CreateVersion7(created);
        var services = receiver.Services.OrderBy(_ => random.Next()).Take(1 + random.Next(2)).ToList();
        var roll = random.Next(100);
        var urgency = roll < 10 ? "emergency" : roll < 40 ? "urgent" : "routine";
        var deadlines = _protocol.DeadlinesFor(urgency);
        var referral = new ReferralRecord
        {
            Id = id, Referrer = referrer.Id, Receiver = receiver.Id, PersonId = personId, ProtocolCode = _protocol.Code, ProtocolVersion = _protocolVersion,
            Urgency = urgency, Services = string.Join(',', services), AcknowledgeBy = created + IsoDuration.Parse(deadlines.Acknowledge),
            DecideBy = created + IsoDuration.Parse(deadlines.Decide), CreatedAt = created,
            Reason = key.Seal("Needs support after arrival; details agreed by phone with the receiving caseworker.", $"referral:{id}:reason"),
        };
        key.Dispose();
        if (i % 9973 == 0) SelfCheck(chunk.Persons[^1], referral);
        foreach (var s in services) chunk.Services.Add(new ServiceRecord(id, s));
        var personStream = $"person/{personId}";
        var stream = $"referral/{id}";
        var personEvent = fast.Event(personStream, 1, created, referrer, "person.created", AuditChain.Genesis, new Dictionary<string, object?>
        {
            ["personId"] = personId, ["ownerOrganisationId"] = referrer.Id,
        });
        chunk.Audit.Add(personEvent);
        chunk.Heads.Add(new HeadRecord(personStream, 1, personEvent.Hash));
        var last = fast.Event(stream, 1, created, referrer, "referral.submitted", AuditChain.Genesis, new Dictionary<string, object?>
        {
            ["referralId"] = id, ["personId"] = personId, ["referrerOrganisationId"] = referrer.Id, ["receiverOrganisationId"] = receiver.Id,
            ["services"] = services, ["urgency"] = urgency, ["protocolCode"] = _protocol.Code, ["protocolVersion"] = _protocolVersion,
            ["consent"] = "person", ["responsibleOrganisationId"] = referrer.Id,
        });
        chunk.Audit.Add(last);
        chunk.Timeline.Add(new TimelineRecord(id, 1, created, "submit", null, "requested", referrer.Id, referrer.KeyId, null, _protocolVersion, null));

        // How far along its life it is; a step that would land in the future is not taken.
        roll = random.Next(100);
        var depth = roll < 60 ? 0 : roll < 75 ? 1 : roll < 90 ? 2 : 4;
        var trail = ResponsibilityTrail.Start(referrer.Id, created);
        var closedBasis = new Dictionary<int, string>();
        var status = ReferralStatus.Requested;
        var at = created;
        var steps = 0;
        for (var step = 0; step < depth; step++)
        {
            var action = Path[step];
            var next = at + action switch
            {
                ReferralAction.Acknowledge => TimeSpan.FromMinutes(5 + random.Next(175)),
                ReferralAction.Accept => TimeSpan.FromMinutes(10 + random.Next(24 * 60)),
                ReferralAction.Start => TimeSpan.FromMinutes(60 + random.Next(47 * 60)),
                _ => TimeSpan.FromMinutes(24 * 60 + random.Next(20 * 24 * 60)),
            };
            next = Micro(next);
            if (next > _latest) break;
            at = next;
            var outcome = action == ReferralAction.Complete ? CompletionOutcome.ServiceProvided : (CompletionOutcome?)null;
            var to = ReferralStateMachine.Apply(status, action, Party.Receiver, outcome);
            var changes = trail.OnTransition(to, referrer.Id, receiver.Id, at);
            foreach (var c in changes.Where(c => c.Kind == ChangeKind.Closed)) closedBasis[c.Sequence] = c.Basis;
            var due = action switch
            {
                ReferralAction.Acknowledge => referral.AcknowledgeBy,
                ReferralAction.Accept => referral.DecideBy,
                ReferralAction.Complete => referral.FollowUpBy,
                _ => null,
            };
            long? lateBy = due is { } d && at > d ? (long)Math.Floor((at - d).TotalSeconds) : null;
            var code = outcome?.Code();
            chunk.Timeline.Add(new TimelineRecord(id, step + 2, at, action.Code(), status.Code(), to.Code(), receiver.Id, receiver.KeyId, code, _protocolVersion, lateBy));
            var responsible = Responsibility.ResponsibleAfter(to, referrer.Id, receiver.Id);
            last = fast.Event(stream, step + 2, at, receiver, EventType(action, to), last.Hash, new Dictionary<string, object?>
            {
                ["referralId"] = id, ["action"] = action.Code(), ["from"] = status.Code(), ["to"] = to.Code(), ["party"] = "receiver",
                ["code"] = code, ["lateBySeconds"] = lateBy, ["noteId"] = null, ["responsibleOrganisationId"] = responsible,
                ["protocolCode"] = _protocol.Code, ["protocolVersion"] = _protocolVersion,
                ["responsibility"] = changes.Select(c => new Dictionary<string, object?>
                {
                    ["change"] = c.Kind == ChangeKind.Opened ? "opened" : "closed", ["seq"] = c.Sequence + 1, ["organisationId"] = c.Period.OrganisationId,
                    ["basis"] = c.Basis, ["at"] = c.Kind == ChangeKind.Opened ? c.Period.From : c.Period.Until,
                }).ToList(),
            });
            chunk.Audit.Add(last);
            if (action == ReferralAction.Acknowledge) referral.AcknowledgedAt = at;
            if (action == ReferralAction.Accept)
            {
                referral.AcknowledgedAt ??= at;
                referral.DecidedAt = at;
                referral.FollowUpBy = at + IsoDuration.Parse(deadlines.FollowUp);
            }
            if (ReferralStateMachine.IsFinal(to))
            {
                referral.FinishedAt = at;
                referral.Outcome = code;
            }
            status = to;
            steps++;
        }
        referral.Status = status.Code();
        referral.Responsible = Responsibility.ResponsibleAfter(status, referrer.Id, receiver.Id);
        referral.UpdatedAt = at;
        referral.Version = 1 + steps;
        referral.Overdue = status == ReferralStatus.Requested ? referral.AcknowledgeBy < _latest
            : status == ReferralStatus.Received && referral.DecideBy < _latest;
        chunk.Referrals.Add(referral);
        chunk.Heads.Add(new HeadRecord(stream, last.Seq, last.Hash));
        for (var p = 0; p < trail.Periods.Count; p++)
        {
            var period = trail.Periods[p];
            chunk.Periods.Add(new PeriodRecord(id, p + 1, period.OrganisationId, period.From, period.Until, period.Basis, closedBasis.GetValueOrDefault(p)));
        }

        ReferralIds[i] = id;
        Receivers[i] = (short)receiver.Index;
        Referrers[i] = (short)referrer.Index;
        Versions[i] = (byte)referral.Version;
    }

    private static string EventType(ReferralAction action, ReferralStatus to) => action switch
    {
        ReferralAction.Acknowledge => "referral.received",
        ReferralAction.Accept => "referral.accepted",
        ReferralAction.Start => "referral.started",
        _ => to == ReferralStatus.Failed ? "referral.failed" : "referral.completed",
    };

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
