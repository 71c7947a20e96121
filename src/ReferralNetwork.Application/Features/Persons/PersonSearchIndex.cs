using Dapper;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Application.Features.Persons;

/// <summary>
/// Writes and queries <c>person_search_terms</c>, the keyed blind index over sealed identities (issue 17). Written when a
/// person is created (in the same transaction), deleted on erasure, re-keyed by rotate-master-key.
/// </summary>
public sealed class PersonSearchIndex(IDbSession session, IBlindIndex index)
{
    /// <summary>Writes a new person's terms (of <paramref name="identity"/>, hashed under the current key) in one statement.</summary>
    public async Task WriteAsync(Guid personId, PersonIdentity identity, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        var rows = Rows(index, identity);
        if (rows.Count == 0) return;
        var parameters = new DynamicParameters();
        var values = new List<string>();
        for (var i = 0; i < rows.Count; i++)
        {
            values.Add($"(@P, @K{i}, @H{i}, @M)");
            parameters.Add($"K{i}", rows[i].Kind);
            parameters.Add($"H{i}", rows[i].Hash);
        }
        parameters.Add("P", personId);
        parameters.Add("M", index.CurrentKeyId);
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO person_search_terms (person_id, kind, term_hash, master_key_id) VALUES {string.Join(", ", values)}", parameters,
            session.Transaction, cancellationToken: ct));
    }

    /// <summary>Erasure: nothing of the person stays searchable.</summary>
    public async Task DeleteAsync(Guid personId, CancellationToken ct)
    {
        var connection = await session.ConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM person_search_terms WHERE person_id = @Id", new { Id = personId },
            session.Transaction, cancellationToken: ct));
    }

    /// <summary>The distinct (kind, hash) rows of an identity under the current key.</summary>
    public static IReadOnlyList<(string Kind, byte[] Hash)> Rows(IBlindIndex index, PersonIdentity identity) =>
        SearchTerms.Of(identity).Select(t => (t.Kind, index.Hash(t.Kind, t.Term)))
            .DistinctBy(r => (r.Kind, Convert.ToHexString(r.Item2))).ToList();

    /// <summary>
    /// A condition on <paramref name="personColumn"/> that every token of <paramref name="text"/> matches a term of the
    /// person — its folded form or its phonetic key — or, for a text of digits, the phone. Null when the text has no
    /// token. One EXISTS per token (a query has a handful), each an index seek on the term hash.
    /// </summary>
    public string? Condition(string? text, string personColumn, DynamicParameters parameters, string prefix = "st")
    {
        var tokens = SearchTerms.Tokens(text);
        if (tokens.Count == 0) return null;
        var digits = text!.Any(char.IsLetter) ? null : SearchTerms.PhoneDigits(text);
        var groups = digits is not null
            ? [SearchHashes(SearchTermKind.Phone, digits)]
            : tokens.Take(MaxTokens).Select(t => SearchHashes(SearchTermKind.Name, t).Concat(SearchHashes(SearchTermKind.Phonetic, SearchTerms.Phonetic(t))).ToList()).ToList();
        var conditions = new List<string>();
        for (var g = 0; g < groups.Count; g++)
        {
            var names = new List<string>();
            for (var h = 0; h < groups[g].Count; h++)
            {
                var name = $"{prefix}{g}_{h}";
                parameters.Add(name, groups[g][h]);
                names.Add("@" + name);
            }
            conditions.Add($"EXISTS (SELECT 1 FROM person_search_terms {prefix}{g} WHERE {prefix}{g}.person_id = {personColumn} AND {prefix}{g}.term_hash IN ({string.Join(", ", names)}))");
        }
        return string.Join(" AND ", conditions);
    }

    /// <summary>
    /// <see cref="Condition"/> over the person's merge group (issue 17): the person in <paramref name="personColumn"/>,
    /// the duplicates merged into them, or the person they were merged into. A duplicate's spelling of the name still finds
    /// the one history, and the survivor's finds what was referred under the duplicate.
    /// </summary>
    public string? MergedCondition(string? text, string personColumn, DynamicParameters parameters)
    {
        if (Condition(text, personColumn, parameters, "st") is not { } own) return null;
        var ofDuplicate = Condition(text, "gd.id", parameters, "sd");
        var ofSurvivor = Condition(text, "gs.merged_into_id", parameters, "ss");
        return $"""
            (({own})
             OR EXISTS (SELECT 1 FROM persons gd WHERE gd.merged_into_id = {personColumn} AND {ofDuplicate})
             OR EXISTS (SELECT 1 FROM persons gs WHERE gs.id = {personColumn} AND gs.merged_into_id IS NOT NULL AND {ofSurvivor}))
            """;
    }

    /// <summary>A search looks at the first few words only: names have few, and each word is one more index seek.</summary>
    public const int MaxTokens = 6;

    private List<byte[]> SearchHashes(string kind, string term) => [.. index.SearchHashes(kind, term)];
}
