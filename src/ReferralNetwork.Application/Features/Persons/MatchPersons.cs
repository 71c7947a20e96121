using Dapper;
using FluentValidation;
using Mediator;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Domain.Access;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>
/// <c>POST /persons/matches</c> (issue 17): before creating a person, the likely duplicates among the persons the caller's
/// organisation may see (the rule of <c>GET /persons/{id}</c>), scored from what the blind index and the clear attributes
/// say agree — never from an opened identity, so nothing is read and nothing is logged. The answer carries ids, scores,
/// reasons and the non-identifying summary; the worker opens a candidate with <c>GET /persons/{id}</c> (logged) and reuses
/// it with <c>personId</c> on submit.
/// </summary>
[AllowedRoles(Role.Caseworker, Role.Supervisor, Role.PartnerSystem)]
public sealed record MatchPersonsQuery(string? GivenName, string? FamilyName, int? BirthYear = null, string? Nationality = null, string? Phone = null)
    : IQuery<PersonMatches>;

/// <summary>A likely duplicate: <see cref="Score"/> from 0 to 1, and the <see cref="Reasons"/> it is made of
/// (<c>family_name</c>, <c>family_name_phonetic</c>, <c>given_name</c>, <c>given_name_phonetic</c>, <c>birth_year</c>,
/// <c>birth_year_near</c>, <c>nationality</c>, <c>phone</c>).</summary>
public sealed record PersonMatch(Guid PersonId, double Score, IReadOnlyList<string> Reasons, PersonSummary Person);

public sealed record PersonMatches(IReadOnlyList<PersonMatch> Items);

public sealed class MatchPersonsValidator : AbstractValidator<MatchPersonsQuery>
{
    public MatchPersonsValidator(TimeProvider time)
    {
        var year = time.GetUtcNow().Year;
        RuleFor(q => q.GivenName).NotEmpty().IsText(100);
        RuleFor(q => q.FamilyName).NotEmpty().IsText(100);
        RuleFor(q => q.BirthYear).InclusiveBetween(year - 120, year);
        RuleFor(q => q.Nationality).IsCountryCode();
        RuleFor(q => q.Phone).IsText(50);
    }
}

public sealed class MatchPersonsHandler(IDbSession session, ICurrentPrincipal current, IBlindIndex index) : IQueryHandler<MatchPersonsQuery, PersonMatches>
{
    /// <summary>Below this a candidate is noise (e.g. a shared common given name alone).</summary>
    public const double Threshold = 0.35;
    public const int MaxItems = 10;

    // What each agreeing part is worth; a phone or both names agreeing make a likely duplicate on their own.
    private static readonly Dictionary<string, double> Weights = new(StringComparer.Ordinal)
    {
        ["family_name"] = 0.35, ["family_name_phonetic"] = 0.25, ["given_name"] = 0.25, ["given_name_phonetic"] = 0.15,
        ["birth_year"] = 0.15, ["birth_year_near"] = 0.05, ["nationality"] = 0.05, ["phone"] = 0.45,
    };

    public async ValueTask<PersonMatches> Handle(MatchPersonsQuery query, CancellationToken ct)
    {
        // hash (hex) → the reasons a hit on it stands for.
        var meaning = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        void Add(string kind, string term, string reason)
        {
            foreach (var hash in index.SearchHashes(kind, term))
            {
                var key = Convert.ToHexString(hash);
                if (!meaning.TryGetValue(key, out var reasons)) meaning[key] = reasons = [];
                reasons.Add(reason);
            }
        }
        foreach (var (field, text) in new[] { ("family_name", query.FamilyName), ("given_name", query.GivenName) })
            foreach (var token in SearchTerms.Tokens(text).Take(PersonSearchIndex.MaxTokens))
            {
                Add(SearchTermKind.Name, token, field);
                Add(SearchTermKind.Phonetic, SearchTerms.Phonetic(token), field + "_phonetic");
            }
        if (SearchTerms.PhoneDigits(query.Phone) is { } digits) Add(SearchTermKind.Phone, digits, "phone");
        if (meaning.Count == 0) return new PersonMatches([]);

        var parameters = new DynamicParameters(new { Org = current.Principal!.OrganisationId });
        var names = new List<string>();
        foreach (var (hex, i) in meaning.Keys.Select((h, i) => (h, i)))
        {
            parameters.Add($"h{i}", Convert.FromHexString(hex));
            names.Add($"@h{i}");
        }
        var connection = await session.ConnectionAsync(ct);
        // A duplicate merged into another record (issue 17) answers as that record.
        var hits = await connection.QueryAsync<(Guid PersonId, byte[] Hash)>(new CommandDefinition($"""
            SELECT COALESCE(p.merged_into_id, p.id), t.term_hash
            FROM person_search_terms t JOIN persons p ON p.id = t.person_id
            WHERE t.term_hash IN ({string.Join(", ", names)}) AND p.wrapped_key IS NOT NULL
              AND (p.owner_organisation_id = @Org OR EXISTS (SELECT 1 FROM referrals r WHERE r.person_id = p.id AND {Referrals.ReferralRow.VisibleTo}))
            """, parameters, cancellationToken: ct));
        var reasonsOf = new Dictionary<Guid, HashSet<string>>();
        foreach (var (personId, hash) in hits)
        {
            if (!reasonsOf.TryGetValue(personId, out var reasons)) reasonsOf[personId] = reasons = [];
            reasons.UnionWith(meaning.GetValueOrDefault(Convert.ToHexString(hash)) ?? []);
        }
        if (reasonsOf.Count == 0) return new PersonMatches([]);

        var people = (await connection.QueryAsync<PersonRow>(new CommandDefinition(
            $"SELECT {PersonRow.Columns} FROM persons p WHERE {session.Dialect.InList("p.id", "@Ids")}", new { Ids = session.Dialect.IdList(reasonsOf.Keys) },
            cancellationToken: ct))).ToDictionary(p => p.Id);
        var matches = new List<PersonMatch>();
        foreach (var (personId, reasons) in reasonsOf)
        {
            if (!people.TryGetValue(personId, out var person)) continue;
            // An exact token also agrees phonetically: count the stronger reason only.
            if (reasons.Contains("family_name")) reasons.Remove("family_name_phonetic");
            if (reasons.Contains("given_name")) reasons.Remove("given_name_phonetic");
            if (query.BirthYear is { } year && person.BirthYear == year) reasons.Add("birth_year");
            else if (query.BirthYear is { } near && Math.Abs(person.BirthYear - near) == 1) reasons.Add("birth_year_near");
            if (query.Nationality is not null && string.Equals(person.Nationality, query.Nationality, StringComparison.OrdinalIgnoreCase)) reasons.Add("nationality");
            var score = Math.Min(1.0, Math.Round(reasons.Sum(r => Weights[r]), 2));
            if (score < Threshold) continue;
            var ordered = reasons.OrderByDescending(r => Weights[r]).ThenBy(r => r, StringComparer.Ordinal).ToList();
            matches.Add(new PersonMatch(personId, score, ordered, person.ToSummary()));
        }
        return new PersonMatches([.. matches.OrderByDescending(m => m.Score).ThenByDescending(m => m.PersonId).Take(MaxItems)]);
    }
}
