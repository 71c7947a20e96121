using Dapper;
using ReferralNetwork.Application.Features.Persons;

namespace ReferralNetwork.Application.Features.Organisations;

/// <summary>
/// <c>?municipality=</c> matched as a person types it (issue 17): "beograd", "BEOGRAD" and "Београд" find "Beograd", "cacak"
/// finds "Čačak". The parameter is folded in C# like a name token (case, diacritics, Cyrillic, đ → dj); the column is folded
/// in SQL by REPLACE and LOWER, which all three engines have. The letters go in as parameters: a literal 'Č' would need
/// N'…' on SQL Server, which SQLite does not parse. SQLite's LOWER folds ASCII only, hence the capitals among them.
/// </summary>
public static class MunicipalityMatch
{
    private static readonly (string From, string To)[] Letters =
        [("Č", "c"), ("č", "c"), ("Ć", "c"), ("ć", "c"), ("Š", "s"), ("š", "s"), ("Ž", "z"), ("ž", "z"), ("Đ", "dj"), ("đ", "dj")];

    /// <summary>The condition on <paramref name="column"/>, its parameters added to <paramref name="parameters"/>.</summary>
    public static string Condition(string column, string municipality, DynamicParameters parameters)
    {
        var folded = column;
        for (var i = 0; i < Letters.Length; i++)
        {
            folded = $"REPLACE({folded}, @MunicipalityFrom{i}, @MunicipalityTo{i})";
            parameters.Add($"MunicipalityFrom{i}", Letters[i].From);
            parameters.Add($"MunicipalityTo{i}", Letters[i].To);
        }
        parameters.Add("MunicipalityFolded", Fold(municipality));
        return $"LOWER({folded}) = @MunicipalityFolded";
    }

    /// <summary>The folded form of a municipality's name: its tokens, lower case, without diacritics, joined by spaces.</summary>
    public static string Fold(string municipality) => string.Join(' ', SearchTerms.Tokens(municipality));
}
