using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Dapper;
using FluentValidation;
using FluentValidation.Results;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Access;
using ReferralNetwork.Domain.Organisations;
using ReferralNetwork.Domain.People;
using ReferralNetwork.Domain.Protocols;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Application.Features.Protocols;

/// <summary>The deadlines of one urgency as a network admin writes them (ISO 8601 durations).</summary>
public sealed record DeadlineSetInput(string? Acknowledge, string? Decide, string? FollowUp);

/// <summary>
/// A protocol step as a network admin writes it (issue 23): texts by language (<c>sr-Latn</c> and <c>en</c> required,
/// <c>sr-Cyrl</c> optional), the legal basis, the services it applies to (none: all), and an optional due duration from acceptance.
/// </summary>
public sealed record ProtocolStepInput(
    string? Code, IReadOnlyDictionary<string, string?>? Title, IReadOnlyDictionary<string, string?>? Guidance = null, string? LegalBasis = null,
    IReadOnlyList<string>? Services = null, bool Mandatory = false, string? Due = null);

/// <summary>
/// Publishes a protocol document (DESIGN §3) as the next version of its code: version 1 for a new code, else the
/// previous highest + 1. Published versions are never changed — there is no update, only a newer version — because
/// every referral pins the version it was submitted under.
/// </summary>
[AllowedRoles(Role.NetworkAdmin)]
public sealed record PublishProtocolCommand(
    string? Code, string? Title, ProtocolApplicability? AppliesTo, ConsentRules? Consent, IReadOnlyDictionary<string, DeadlineSetInput?>? Deadlines,
    IReadOnlyList<string>? MandatoryObservers = null, IReadOnlyDictionary<string, ReceiverRule?>? Receivers = null, EscalationTarget? EscalateTo = null,
    IReadOnlyList<string>? RequiredFields = null, string? GuardianAppointmentWithin = null, IReadOnlyList<ProtocolStepInput?>? Steps = null)
    : ICommand<ProtocolVersionView>;

/// <summary>The shape of a document; what needs the database (service codes, escalation organisation) the handler checks.</summary>
public sealed partial class PublishProtocolValidator : AbstractValidator<PublishProtocolCommand>
{
    /// <summary>Keeps <c>now + deadline</c> far from overflow and deadlines human: a year is the longest.</summary>
    public static readonly TimeSpan LongestDuration = TimeSpan.FromDays(366);

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex Slug();

    [GeneratedRegex("^[a-z][a-z0-9_]{1,49}$")]
    private static partial Regex ServiceCode();

    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9]{0,49}(\\.[a-zA-Z][a-zA-Z0-9]{0,49}){0,3}$")]
    private static partial Regex FieldPath();

    public PublishProtocolValidator()
    {
        RuleFor(c => c.Code).NotEmpty().MaximumLength(50).Must(c => c is null || Slug().IsMatch(c))
            .WithMessage("A slug: lowercase letters and digits in groups joined by '-', e.g. child-protection.");
        RuleFor(c => c.Title).NotEmpty().IsText(200);
        RuleFor(c => c).Custom((command, context) =>
        {
            foreach (var (field, message) in DocumentProblems(command)) context.AddFailure(field, message);
        });
    }

    private static IEnumerable<(string Field, string Message)> DocumentProblems(PublishProtocolCommand c)
    {
        if (c.AppliesTo is { } applies)
        {
            if (applies.MinAge is < 0 or > 150) yield return ("appliesTo.minAge", "Between 0 and 150.");
            if (applies.MaxAge is < 0 or > 150) yield return ("appliesTo.maxAge", "Between 0 and 150.");
            if (applies.MinAge > applies.MaxAge) yield return ("appliesTo.minAge", "Must not exceed maxAge.");
            if (applies.VulnerabilitiesAny is null) yield return ("appliesTo.vulnerabilitiesAny", "Give a list (it may be empty).");
            else foreach (var problem in Codes<Vulnerability>(applies.VulnerabilitiesAny, "appliesTo.vulnerabilitiesAny", 10)) yield return problem;
        }

        if (c.Consent is { } consent)
        {
            if (consent.RequiredFrom is null) yield return ("consent.requiredFrom", "Give a list of person, guardian, parent (empty: no consent needed).");
            else foreach (var problem in Codes<ConsentGiver>(consent.RequiredFrom, "consent.requiredFrom", 3)) yield return problem;
            if (consent.EmergencyOverride is { } emergency && !IsDuration(emergency.ReviewWithin))
                yield return ("consent.emergencyOverride.reviewWithin", DurationMessage);
        }

        if (c.GuardianAppointmentWithin is not null && !IsDuration(c.GuardianAppointmentWithin))
            yield return ("guardianAppointmentWithin", DurationMessage);

        if (c.Deadlines is null)
        {
            yield return ("deadlines", "Give deadlines for each urgency: emergency, urgent and routine.");
        }
        else
        {
            foreach (var key in c.Deadlines.Keys.Where(k => !Wire.TryParse<Urgency>(k, out _)))
                yield return ("deadlines", $"'{Clip(key)}' is not an urgency: use emergency, urgent and routine.");
            foreach (var urgency in Wire.Codes<Urgency>())
            {
                if (!c.Deadlines.TryGetValue(urgency, out var set) || set is null)
                {
                    yield return ($"deadlines.{urgency}", "Missing: every urgency needs acknowledge, decide and followUp.");
                    continue;
                }
                if (!IsDuration(set.Acknowledge)) yield return ($"deadlines.{urgency}.acknowledge", DurationMessage);
                if (!IsDuration(set.Decide)) yield return ($"deadlines.{urgency}.decide", DurationMessage);
                if (!IsDuration(set.FollowUp)) yield return ($"deadlines.{urgency}.followUp", DurationMessage);
                if (IsDuration(set.Acknowledge) && IsDuration(set.Decide) && IsoDuration.Parse(set.Acknowledge!) > IsoDuration.Parse(set.Decide!))
                    yield return ($"deadlines.{urgency}.acknowledge", "Must not be longer than decide: a receiver acknowledges before it decides.");
            }
        }

        var observers = c.MandatoryObservers ?? [];
        if (observers.Count > 5) yield return ("mandatoryObservers", "At most 5 entries.");
        for (var i = 0; i < observers.Count; i++)
            if (observers[i] != ProtocolParties.GuardianOrganisation)
                yield return ($"mandatoryObservers[{i}]", $"'{Clip(observers[i])}' is not a party a protocol can name: use {ProtocolParties.GuardianOrganisation}.");

        var receivers = c.Receivers ?? new Dictionary<string, ReceiverRule?>();
        if (receivers.Count > 100) yield return ("receivers", "At most 100 entries.");
        foreach (var (service, rule) in receivers)
        {
            var field = $"receivers.{Clip(service)}";
            if (service != "*" && !ServiceCode().IsMatch(service)) yield return (field, "A key is a service code or \"*\" (every other service).");
            if (rule is null)
            {
                yield return (field, "Give a rule: {\"kinds\": [...]} and/or {\"onlyReferrer\": \"guardianOrganisation\"}.");
                continue;
            }
            if (rule.Kinds is null) yield return ($"{field}.kinds", "Give a list of organisation kinds (empty: any kind).");
            else foreach (var problem in Codes<OrganisationKind>(rule.Kinds, $"{field}.kinds", 20)) yield return problem;
            if (rule.OnlyReferrer is not null && rule.OnlyReferrer != ProtocolParties.GuardianOrganisation)
                yield return ($"{field}.onlyReferrer", $"Only {ProtocolParties.GuardianOrganisation} is supported.");
        }

        if (c.EscalateTo is { } escalation)
        {
            if ((escalation.OrganisationKind is null) == (escalation.OrganisationId is null))
                yield return ("escalateTo", "Give exactly one of organisationKind or organisationId.");
            if (escalation.OrganisationKind is not null && !Wire.TryParse<OrganisationKind>(escalation.OrganisationKind, out _))
                yield return ("escalateTo.organisationKind", $"'{Clip(escalation.OrganisationKind)}' is not one of: {string.Join(", ", Wire.Codes<OrganisationKind>())}.");
            if (escalation.OrganisationId == Guid.Empty) yield return ("escalateTo.organisationId", "Not an organisation id.");
        }

        foreach (var problem in StepProblems(c.Steps ?? [])) yield return problem;

        var required = c.RequiredFields ?? [];
        if (required.Count > 30) yield return ("requiredFields", "At most 30 entries.");
        for (var i = 0; i < required.Count; i++)
            if (required[i] is null || !FieldPath().IsMatch(required[i]))
                yield return ($"requiredFields[{i}]", "A field path of the referral, e.g. person.nationality.");
    }

    private static IEnumerable<(string Field, string Message)> StepProblems(IReadOnlyList<ProtocolStepInput?> steps)
    {
        if (steps.Count > 30) yield return ("steps", "At most 30 steps.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            var field = $"steps[{i}]";
            if (steps[i] is not { } step)
            {
                yield return (field, "Give a step: {\"code\", \"title\": {\"sr-Latn\", \"en\"}, \"mandatory\"}.");
                continue;
            }
            if (step.Code is null || step.Code.Length > 50 || !Slug().IsMatch(step.Code))
                yield return ($"{field}.code", "A slug of at most 50 characters, e.g. guardian-appointment.");
            else if (!seen.Add(step.Code)) yield return ($"{field}.code", $"'{step.Code}' is the code of an earlier step: codes are unique within a protocol.");
            foreach (var problem in Texts(step.Title, $"{field}.title", 200, required: true)) yield return problem;
            foreach (var problem in Texts(step.Guidance, $"{field}.guidance", 4000, required: false)) yield return problem;
            if (step.LegalBasis is not null && (string.IsNullOrWhiteSpace(step.LegalBasis) || step.LegalBasis.Length > 1000 || HasControl(step.LegalBasis)))
                yield return ($"{field}.legalBasis", "A text of at most 1000 characters (or leave it out).");
            var services = step.Services ?? [];
            if (services.Count > 20) yield return ($"{field}.services", "At most 20 services.");
            for (var j = 0; j < services.Count; j++)
                if (services[j] is null || !ServiceCode().IsMatch(services[j]))
                    yield return ($"{field}.services[{j}]", "A service code (GET /api/v1/services).");
            if (step.Due is not null && !IsDuration(step.Due)) yield return ($"{field}.due", DurationMessage);
        }
    }

    /// <summary>Texts by language: only sr-Latn, sr-Cyrl and en; sr-Latn and en present when required (or when any text is given).</summary>
    private static IEnumerable<(string, string)> Texts(IReadOnlyDictionary<string, string?>? texts, string field, int max, bool required)
    {
        if (texts is null || texts.Count == 0)
        {
            if (required) yield return (field, "Give the text in sr-Latn and en (sr-Cyrl optional).");
            yield break;
        }
        foreach (var (language, text) in texts)
        {
            if (!StepLanguages.All.Contains(language)) yield return (field, $"'{Clip(language)}' is not a language of the network: use sr-Latn, sr-Cyrl, en.");
            else if (string.IsNullOrWhiteSpace(text) || text.Length > max || HasControl(text))
                yield return ($"{field}.{language}", $"A text of at most {max} characters.");
        }
        foreach (var language in (string[])[StepLanguages.SerbianLatin, StepLanguages.English])
            if (!texts.ContainsKey(language)) yield return ($"{field}.{language}", "Missing: every text is given in sr-Latn and en.");
    }

    // Line breaks are allowed in guidance; other control characters are not.
    private static bool HasControl(string text) => text.Any(ch => char.IsControl(ch) && ch is not ('\n' or '\r' or '\t'));

    private const string DurationMessage = "A positive ISO 8601 duration of at most a year, e.g. PT1H, PT48H, P7D.";

    private static bool IsDuration(string? value) => IsoDuration.TryParse(value, out var span) && span <= LongestDuration;

    private static IEnumerable<(string, string)> Codes<TEnum>(IReadOnlyList<string> codes, string field, int max) where TEnum : struct, Enum
    {
        if (codes.Count > max) yield return (field, $"At most {max} entries.");
        for (var i = 0; i < codes.Count; i++)
            if (!Wire.TryParse<TEnum>(codes[i], out _))
                yield return ($"{field}[{i}]", $"'{Clip(codes[i])}' is not one of: {string.Join(", ", Wire.Codes<TEnum>())}.");
    }

    // Echoed input stays short and printable in problem details.
    private static string Clip(string? value) =>
        value is null ? "null" : new string(value.Where(ch => !char.IsControl(ch)).Take(60).ToArray());
}

/// <summary>The parties a protocol may name besides organisation kinds.</summary>
public static class ProtocolParties
{
    /// <summary>The centre for social work that appointed the person's guardian (<c>guardianOrganisationId</c>).</summary>
    public const string GuardianOrganisation = "guardianOrganisation";
}

public sealed class PublishProtocolHandler(IDbSession session, IAuditLog audit, ICurrentPrincipal current, Clock clock)
    : ICommandHandler<PublishProtocolCommand, ProtocolVersionView>
{
    /// <summary>How documents are stored: the API's camelCase names, without nulls, so they read like the published JSON.</summary>
    private static readonly JsonSerializerOptions StoreJson = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public async ValueTask<ProtocolVersionView> Handle(PublishProtocolCommand command, CancellationToken ct)
    {
        var document = ToDocument(command);
        await EnsureReferencesExistAsync(document, ct);
        var json = JsonSerializer.Serialize(document, StoreJson);
        var now = clock.Now();
        var version = await InsertNextVersionAsync(document, json, now, ct);
        audit.Record(new AuditEntry(AuditStreams.Protocol(document.Code), "protocol.published", new Dictionary<string, object?>
        {
            ["code"] = document.Code, ["version"] = version,
            // Lets an auditor prove later that the stored document is the one published.
            ["documentSha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json))),
        }));
        return new ProtocolVersionView(document.Code, version, document.Title, now, ProtocolStore.Parse(json));
    }

    private static ProtocolDocument ToDocument(PublishProtocolCommand c) => new()
    {
        Code = c.Code!, Title = c.Title!.Trim(), AppliesTo = c.AppliesTo, Consent = c.Consent ?? new ConsentRules(),
        Deadlines = Wire.Codes<Urgency>().Select(u => (Urgency: u, Set: c.Deadlines![u]!)).ToDictionary(d => d.Urgency,
            d => new DeadlineSet { Acknowledge = d.Set.Acknowledge!, Decide = d.Set.Decide!, FollowUp = d.Set.FollowUp! }, StringComparer.Ordinal),
        MandatoryObservers = (c.MandatoryObservers ?? []).Distinct().ToList(),
        Receivers = (c.Receivers ?? new Dictionary<string, ReceiverRule?>()).ToDictionary(p => p.Key, p => p.Value!),
        EscalateTo = c.EscalateTo, RequiredFields = (c.RequiredFields ?? []).Distinct().ToList(), GuardianAppointmentWithin = c.GuardianAppointmentWithin,
        Steps = (c.Steps ?? []).Select(s => new ProtocolStep
        {
            Code = s!.Code!, Title = Trimmed(s.Title)!, Guidance = Trimmed(s.Guidance) ?? new Dictionary<string, string>(), LegalBasis = s.LegalBasis?.Trim(),
            Services = (s.Services ?? []).Distinct().ToList(), Mandatory = s.Mandatory, Due = s.Due,
        }).ToList(),
    };

    private static Dictionary<string, string>? Trimmed(IReadOnlyDictionary<string, string?>? texts) =>
        texts?.ToDictionary(t => t.Key, t => t.Value!.Trim(), StringComparer.Ordinal);

    private async Task EnsureReferencesExistAsync(ProtocolDocument document, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var failures = new List<ValidationFailure>();
        var services = document.Receivers.Keys.Where(k => k != "*").ToList();
        if (services.Count > 0 || document.Steps.Any(s => s.Services.Count > 0))
        {
            var known = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT code FROM services", null, session.Transaction, cancellationToken: ct))).ToHashSet();
            failures.AddRange(services.Where(s => !known.Contains(s))
                .Select(s => Failures.Of($"receivers.{s}", $"'{s}' is not in the service catalogue (GET /api/v1/services).")));
            for (var i = 0; i < document.Steps.Count; i++)
                failures.AddRange(document.Steps[i].Services.Where(s => !known.Contains(s))
                    .Select(s => Failures.Of($"steps[{i}].services", $"'{s}' is not in the service catalogue (GET /api/v1/services).")));
        }
        if (document.EscalateTo?.OrganisationId is { } organisationId && await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM organisations WHERE id = @Id", new { Id = organisationId }, session.Transaction, cancellationToken: ct)) == 0)
            failures.Add(new ValidationFailure("escalateTo.organisationId", "No organisation of the network has that id."));
        if (failures.Count > 0) throw new ValidationException(failures);
    }

    /// <summary>
    /// Two admins publishing the same code at once both compute the same next version; the primary key (code, version)
    /// lets one insert win and the other fail with a duplicate key. The loser rolls back to a savepoint (the rest of its
    /// transaction stays valid, also on PostgreSQL) and tries once more with the new maximum; a second collision is a 409.
    /// </summary>
    private async Task<int> InsertNextVersionAsync(ProtocolDocument document, string json, DateTimeOffset now, CancellationToken ct)
    {
        const string savepoint = "publish_protocol";
        var connection = await session.ConnectionAsync(ct);
        var transaction = session.Transaction ?? throw new InvalidOperationException("Publishing runs inside the command's transaction.");
        for (var attempt = 1; ; attempt++)
        {
            var version = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM protocols WHERE code = @Code", new { document.Code }, transaction, cancellationToken: ct));
            await transaction.SaveAsync(savepoint, ct);
            try
            {
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO protocols (code, version, title, document, published_at, published_by)
                    VALUES (@Code, @Version, @Title, @Document, @Now, @By)
                    """, new { document.Code, Version = version, document.Title, Document = json, Now = now, By = current.Principal?.Id },
                    transaction, cancellationToken: ct));
                return version;
            }
            catch (Exception e) when (session.Dialect.IsUniqueViolation(e))
            {
                await transaction.RollbackAsync(savepoint, ct);
                if (attempt == 2)
                    throw new ConflictException($"Another version of protocol '{document.Code}' was being published at the same moment; publish again.");
            }
        }
    }
}
