using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.People;

namespace ReferralNetwork.Api.Tests.Casework;

/// <summary>
/// Issue 17 item 2: before creating a person, the likely duplicates the caller may see, scored with reasons, from the
/// blind index and the clear attributes only (no identity opened, nothing logged); reuse by personId on submit.
/// </summary>
public abstract class PersonMatchTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private static async Task<List<JsonObject>> MatchesAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/api/v1/persons/matches", body);
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["items"]!.AsArray().Select(i => i!.AsObject()).ToList();
    }

    private static string[] Reasons(JsonObject match) => [.. match["reasons"]!.AsArray().Select(r => r!.GetValue<string>())];

    [Fact]
    public async Task A_spelling_variant_with_the_same_birth_year_is_a_likely_match_with_its_reasons_and_nothing_is_read()
    {
        var organisation = await _network.OrganisationAsync();
        var karimi = await organisation.Caseworker.CreatePersonAsync(PeopleApi.Person("Mohammad", "Karimi", birthYear: 2010, sex: "male", nationality: "AF"));
        await organisation.Caseworker.CreatePersonAsync(PeopleApi.Person("Mohammad", "Rahimi", birthYear: 1980, sex: "male", nationality: "AF", phone: null));
        var before = (await fixture.EventsAsync($"person/{karimi.Id()}")).Count;

        var matches = await MatchesAsync(organisation.Caseworker, new { givenName = "Muhammad", familyName = "Karimi", birthYear = 2010, nationality = "AF" });

        var best = matches[0];
        Assert.Equal(karimi.Id(), best["personId"]!.GetValue<Guid>());
        // 0.35 + 0.15 + 0.15 + 0.05, strongest reason first.
        Assert.Equal(["family_name", "birth_year", "given_name_phonetic", "nationality"], Reasons(best));
        Assert.Equal(0.7, best["score"]!.GetValue<double>(), 2);
        Assert.Equal("M.K.", best["person"]!["initials"]!.GetValue<string>());
        Assert.Null(best["person"]!["identity"]);
        // The other Mohammad shares a given name only: below the threshold.
        Assert.Single(matches);
        Assert.Equal(before, (await fixture.EventsAsync($"person/{karimi.Id()}")).Count);
    }

    [Fact]
    public async Task The_same_phone_is_a_match_whatever_the_names_and_strangers_see_nothing()
    {
        var organisation = await _network.OrganisationAsync();
        var outsider = await _network.OrganisationAsync();
        var person = await organisation.Caseworker.CreatePersonAsync(PeopleApi.Person("Amina", "Hadžić", phone: "+381 64 555 0101"));

        var byPhone = Assert.Single(await MatchesAsync(organisation.Caseworker, new { givenName = "A.", familyName = "H.", phone = "064 5550101" }));
        Assert.Equal(person.Id(), byPhone["personId"]!.GetValue<Guid>());
        Assert.Equal(["phone"], Reasons(byPhone));
        Assert.Single(await MatchesAsync(organisation.Caseworker, new { givenName = "Амина", familyName = "Хаџић" }));
        Assert.Empty(await MatchesAsync(organisation.Caseworker, new { givenName = "Jelena", familyName = "Marković" }));
        Assert.Empty(await MatchesAsync(outsider.Caseworker, new { givenName = "Amina", familyName = "Hadžić", phone = "064 5550101" }));
    }

    [Fact]
    public async Task A_match_is_reused_by_personId_on_submit_and_no_second_person_is_made()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync("centre_for_social_work", ["legal_aid"]);
        var first = await _network.SubmitAsync(referrer, receiver, TestNetwork.Referral(receiver.Id, PeopleApi.Person("Omid", "Rezaei")));
        var match = Assert.Single(await MatchesAsync(referrer.Caseworker, new { givenName = "Omid", familyName = "Rezaie", birthYear = 1994 }));
        var personId = match["personId"]!.GetValue<Guid>();
        Assert.Equal(first["person"]!.Id(), personId);

        await using var connection = await fixture.OpenAsync();
        var persons = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM persons");
        var second = await _network.SubmitAsync(referrer, receiver, new
        {
            receiverOrganisationId = receiver.Id, services = new[] { "legal_aid" }, urgency = "routine", reason = "Second referral, same child",
            personId, consent = new { givenBy = "person", method = "written" },
        });
        Assert.Equal(personId, second["person"]!.Id());
        Assert.Equal(persons, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM persons"));
    }

    [Fact]
    public async Task Matches_without_names_or_with_unknown_members_are_a_400_naming_them()
    {
        var organisation = await _network.OrganisationAsync();
        var missing = await organisation.Caseworker.PostAsJsonAsync("/api/v1/persons/matches", new { birthYear = 2000 });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var errors = (await missing.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!;
        Assert.NotNull(errors["givenName"]);
        Assert.NotNull(errors["familyName"]);
        var unknown = await organisation.Caseworker.PostAsJsonAsync("/api/v1/persons/matches", new { givenName = "A", familyName = "B", shoeSize = 42 });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }
}

public sealed class PersonMatchTests_Sqlite(SqliteApiFixture fixture) : PersonMatchTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class PersonMatchTests_Postgres(PostgresApiFixture fixture) : PersonMatchTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class PersonMatchTests_SqlServer(SqlServerApiFixture fixture) : PersonMatchTests(fixture), IClassFixture<SqlServerApiFixture>;
