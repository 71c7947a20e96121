using ReferralNetwork.Api.Tests.Audit;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.People;

namespace ReferralNetwork.Api.Tests.Casework;

/// <summary>
/// Issue 17: a worker types a municipality as it comes — "beograd" found nothing when the directory said "Beograd". The
/// directory's filter ignores case and diacritics, and reads Cyrillic, on every engine.
/// </summary>
public abstract class MunicipalityFilterTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    [Fact]
    public async Task Municipality_filter_ignores_case_diacritics_and_script_but_still_matches_the_whole_name()
    {
        // A name of its own, so other tests' organisations cannot answer; letters only, as municipalities are.
        var own = string.Concat(Guid.NewGuid().ToString("N").Where(char.IsLetter).Take(6));
        var cacak = await _network.OrganisationAsync(municipality: $"Čačak Đurđevo {own}");
        var elsewhere = await _network.OrganisationAsync(municipality: $"Čačak {own}");

        foreach (var typed in new[] { $"Čačak Đurđevo {own}", $"cacak djurdjevo {own}", $"ČAČAK ĐURĐEVO {own.ToUpperInvariant()}", $"Чачак Ђурђево {own}" })
        {
            var page = await AuditTestKit.GetJsonAsync(cacak.Caseworker, $"/api/v1/organisations?municipality={Uri.EscapeDataString(typed)}&limit=100");
            Assert.Equal([cacak.Id], page["items"]!.AsArray().Select(i => i!.Id()));
        }
        var other = await AuditTestKit.GetJsonAsync(cacak.Caseworker, $"/api/v1/organisations?municipality={Uri.EscapeDataString($"cacak {own}")}&limit=100");
        Assert.Equal([elsewhere.Id], other["items"]!.AsArray().Select(i => i!.Id()));
        var none = await AuditTestKit.GetJsonAsync(cacak.Caseworker, $"/api/v1/organisations?municipality={own}&limit=100");
        Assert.Empty(none["items"]!.AsArray());
    }
}

public sealed class MunicipalityFilterTests_Sqlite(SqliteApiFixture fixture) : MunicipalityFilterTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class MunicipalityFilterTests_Postgres(PostgresApiFixture fixture) : MunicipalityFilterTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class MunicipalityFilterTests_SqlServer(SqlServerApiFixture fixture) : MunicipalityFilterTests(fixture), IClassFixture<SqlServerApiFixture>;
