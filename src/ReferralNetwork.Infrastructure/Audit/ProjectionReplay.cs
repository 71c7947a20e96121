using System.Text.Json;

namespace ReferralNetwork.Infrastructure.Audit;

/// <summary>A row of <c>responsibility_periods</c>, as the table holds it or as the events say it must be.</summary>
public sealed record PeriodProjection(long Seq, Guid OrganisationId, DateTimeOffset From, DateTimeOffset? Until, string Basis, string? ClosedBasis);

/// <summary>A row of <c>referral_duties</c> (one per deadline kind of a referral, and one per step of a <c>step</c> duty).
/// <see cref="Deadline"/> is the duty's key: the kind, or <c>step:&lt;code&gt;</c> (<see cref="ProjectionReplay.DutyKey"/>).</summary>
public sealed record DutyProjection(string Deadline, Guid HolderOrganisationId, DateTimeOffset OpenedAt, DateTimeOffset DueAt, DateTimeOffset? ClosedAt,
    string? ClosedBasis, DateTimeOffset? BreachedAt);

/// <summary>A row of <c>deadline_breaches</c> (one per breached duty). The protocol is null when no <c>referral.submitted</c> event
/// named it; the holder only in a row written before breaches named their holder (the column is nullable).</summary>
public sealed record BreachProjection(string Deadline, Guid? HolderOrganisationId, Guid ResponsibleOrganisationId, DateTimeOffset DueAt, DateTimeOffset DetectedAt,
    DateTimeOffset? ActedAt, string? ProtocolCode, int? ProtocolVersion)
{
    /// <summary>The person assigned on the holder's side at the breach (issue 16): the breached change's <c>holderAssigneeUserId</c>.</summary>
    public Guid? HolderAssigneeUserId { get; init; }
}

/// <summary>An event whose accountability data cannot be folded (malformed, or a change of something never opened).</summary>
public sealed record ReplayProblem(long Seq, string Detail);

/// <summary>
/// Folds one referral stream's events, in seq order, into what <c>responsibility_periods</c>, <c>referral_duties</c>
/// and <c>deadline_breaches</c> must hold for that referral (docs/accountability-events.md): the events are the record,
/// the tables only a projection of them. Pure: no database, no clock. Times are kept at microsecond precision, the
/// precision every engine stores, so a time that went through a table compares equal to the event's.
/// <para>A change that cannot apply (a period closed that was never opened, a duty opened twice, a malformed change)
/// is a <see cref="Problems"/> entry and is otherwise skipped, so one bad event does not cascade into every later row.</para>
/// </summary>
public sealed class ProjectionReplay
{
    private readonly SortedDictionary<long, PeriodProjection> _periods = [];
    private readonly SortedDictionary<string, DutyProjection> _duties = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, BreachProjection> _breaches = new(StringComparer.Ordinal);
    private readonly Dictionary<(ProjectionTable, string), long> _lastEvent = [];
    private readonly List<ReplayProblem> _problems = [];
    private string? _protocolCode;
    private int? _protocolVersion;
    private long? _submittedSeq;

    /// <summary>The trail periods, by seq.</summary>
    public IEnumerable<PeriodProjection> Periods => _periods.Values;

    /// <summary>The duties, by deadline kind (ordinal).</summary>
    public IEnumerable<DutyProjection> Duties => _duties.Values;

    /// <summary>The breaches, by deadline kind (ordinal).</summary>
    public IEnumerable<BreachProjection> Breaches => _breaches.Values;

    public IReadOnlyList<ReplayProblem> Problems => _problems;

    /// <summary>
    /// The reference the <c>referral.submitted</c> event gave (issue 17); null when it gave none — every event written
    /// before references existed — and then <c>referrals.reference</c> must be null too.
    /// </summary>
    public string? Reference { get; private set; }

    /// <summary>The seq of the <c>referral.submitted</c> event, if the stream has one.</summary>
    public long? SubmittedSeq => _submittedSeq;

    /// <summary>The seq of the last event that changed the row (<paramref name="key"/>: a period's seq, or a deadline kind), if any did.</summary>
    public long? LastEventOf(ProjectionTable table, string key) => _lastEvent.TryGetValue((table, key), out var seq) ? seq : null;

    /// <summary>Applies the next event of the stream. Events without accountability data change nothing.</summary>
    public void Apply(long seq, string type, string data)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(data);
        }
        catch (JsonException)
        {
            _problems.Add(new ReplayProblem(seq, "The event's data is not JSON, so its responsibility and duty changes cannot be read."));
            return;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                _problems.Add(new ReplayProblem(seq, "The event's data is not a JSON object."));
                return;
            }
            if (type == "referral.submitted" && _submittedSeq is null)
            {
                _submittedSeq = seq;
                Reference = Text(root, "reference");
                _protocolCode = Text(root, "protocolCode");
                _protocolVersion = root.TryGetProperty("protocolVersion", out var v) && v.TryGetInt32(out var version) ? version : null;
            }
            foreach (var (change, i) in Changes(seq, root, "responsibility")) ApplyResponsibility(seq, i, change);
            foreach (var (change, i) in Changes(seq, root, "duties")) ApplyDuty(seq, i, change);
        }
    }

    private IEnumerable<(JsonElement Change, int Index)> Changes(long seq, JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var list) || list.ValueKind == JsonValueKind.Null) return [];
        if (list.ValueKind != JsonValueKind.Array)
        {
            _problems.Add(new ReplayProblem(seq, $"The event's {name} is not a list of changes."));
            return [];
        }
        return list.EnumerateArray().Select((change, i) => (change, i));
    }

    private void ApplyResponsibility(long seq, int index, JsonElement change)
    {
        var where = $"responsibility[{index}]";
        var kind = Text(change, "change");
        var period = change.TryGetProperty("seq", out var s) && s.TryGetInt64(out var n) && n >= 1 ? n : (long?)null;
        var organisation = Id(change, "organisationId");
        var basis = Text(change, "basis");
        var at = Time(change, "at");
        if (kind is not ("opened" or "closed") || period is null || at is null || basis is null || (kind == "opened" && organisation is null))
        {
            Problem(seq, $"{where} is not a responsibility change (change opened|closed, seq ≥ 1, organisationId, basis, at).");
            return;
        }
        var key = period.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (kind == "opened")
        {
            if (!_periods.TryAdd(period.Value, new PeriodProjection(period.Value, organisation!.Value, at.Value, null, basis, null)))
            {
                Problem(seq, $"{where} opens period {period} a second time.");
                return;
            }
        }
        else
        {
            if (!_periods.TryGetValue(period.Value, out var open) || open.Until is not null)
            {
                Problem(seq, $"{where} closes period {period}, which is {(open is null ? "not open" : "already closed")}.");
                return;
            }
            _periods[period.Value] = open with { Until = at, ClosedBasis = basis };
        }
        _lastEvent[(ProjectionTable.ResponsibilityPeriods, key)] = seq;
    }

    private void ApplyDuty(long seq, int index, JsonElement change)
    {
        var where = $"duties[{index}]";
        var deadline = Text(change, "deadline") is { } code ? DutyKey(code, Text(change, "step")) : null;
        var kind = Text(change, "change");
        var holder = Id(change, "holderOrganisationId");
        var due = Time(change, "dueAt");
        var at = Time(change, "at");
        if (deadline is null || kind is not ("opened" or "closed" or "breached") || holder is null || due is null || at is null)
        {
            Problem(seq, $"{where} is not a duty change (deadline, change opened|closed|breached, holderOrganisationId, dueAt, at).");
            return;
        }
        _duties.TryGetValue(deadline, out var duty);
        if (kind == "opened")
        {
            if (duty is not null)
            {
                Problem(seq, $"{where} opens the {deadline} duty a second time (a duty kind occurs once per referral).");
                return;
            }
            _duties[deadline] = new DutyProjection(deadline, holder.Value, at.Value, due.Value, null, null, null);
        }
        else if (duty is null || duty.ClosedAt is not null || (kind == "breached" && duty.BreachedAt is not null))
        {
            Problem(seq, $"{where} {(kind == "breached" ? "breaches" : "closes")} the {deadline} duty, which is "
                + (duty is null ? "not open." : duty.ClosedAt is not null ? "already closed." : "already breached."));
            return;
        }
        else if (kind == "breached")
        {
            if (Id(change, "responsibleOrganisationId") is not { } responsible)
            {
                Problem(seq, $"{where} breaches the {deadline} duty without naming the responsibleOrganisationId.");
                return;
            }
            _duties[deadline] = duty with { BreachedAt = at };
            _breaches[deadline] = new BreachProjection(deadline, holder.Value, responsible, due.Value, at.Value, null, _protocolCode, _protocolVersion)
            {
                HolderAssigneeUserId = Id(change, "holderAssigneeUserId"),
            };
            _lastEvent[(ProjectionTable.DeadlineBreaches, deadline)] = seq;
        }
        else
        {
            if (Text(change, "basis") is not { } basis)
            {
                Problem(seq, $"{where} closes the {deadline} duty without a basis (met or discharged).");
                return;
            }
            _duties[deadline] = duty with { ClosedAt = at, ClosedBasis = basis };
            // closed_at of a breached duty is its breach's acted_at.
            if (_breaches.TryGetValue(deadline, out var breach))
            {
                _breaches[deadline] = breach with { ActedAt = at };
                _lastEvent[(ProjectionTable.DeadlineBreaches, deadline)] = seq;
            }
        }
        _lastEvent[(ProjectionTable.ReferralDuties, deadline)] = seq;
    }

    /// <summary>A duty's key in the projections: its deadline kind, followed by <c>:</c> and the step code for a step duty.</summary>
    public static string DutyKey(string deadline, string? step) => string.IsNullOrEmpty(step) ? deadline : $"{deadline}:{step}";

    private void Problem(long seq, string detail) => _problems.Add(new ReplayProblem(seq, detail));

    private static string? Text(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static Guid? Id(JsonElement obj, string name) => Guid.TryParse(Text(obj, name), out var id) ? id : null;

    private static DateTimeOffset? Time(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
        && value.TryGetDateTimeOffset(out var at) ? Micro(at) : null;

    /// <summary>UTC, truncated to whole microseconds.</summary>
    public static DateTimeOffset Micro(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % 10, TimeSpan.Zero);
}

/// <summary>The projection tables verify compares with the events, by their names in the database.</summary>
public enum ProjectionTable
{
    ResponsibilityPeriods,
    ReferralDuties,
    DeadlineBreaches,

    /// <summary>The referral row itself, of which verify checks what the events fix for good: its <c>reference</c>.</summary>
    Referrals,
}
