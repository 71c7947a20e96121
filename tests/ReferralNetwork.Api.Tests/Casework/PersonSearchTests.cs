using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Audit;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.People;
using ReferralNetwork.Application.Features.Persons;

namespace ReferralNetwork.Api.Tests.Casework;

/// <summary>
/// Issue 17 item 1: search on sealed identities through the keyed blind index — folded (case, diacritics, Serbian
/// Cyrillic ↔ Latin), phonetic for transliterated names, phone digits — only over the persons the caller may see, each
/// identity returned recorded in the access log, nothing left to find after erasure.
/// </summary>
public abstract class PersonSearchTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private static async Task<List<JsonObject>> SearchAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync($"/api/v1/persons?{query}");
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["items"]!.AsArray().Select(i => i!.AsObject()).ToList();
    }

    private static async Task<List<Guid>> IdsAsync(HttpClient client, string query) => [.. (await SearchAsync(client, query)).Select(i => i.Id())];

    [Fact]
    public async Task Djordjevic_is_found_from_latin_without_diacritics_from_cyrillic_and_in_capitals()
    {
        var organisation = await _network.OrganisationAsync();
        var milica = await organisation.Caseworker.CreatePersonAsync(PeopleApi.Person("Milica", "Đorđević"));
        await organisation.Caseworker.CreatePersonAsync(PeopleApi.Person("Milica", "Petrović"));

        foreach (var q in new[] { "djordjevic", "Ђорђевић", "ĐORĐEVIĆ", "Milica Djordjević", "Милица Ђорђевић" })
            Assert.True((await IdsAsync(organisation.Caseworker, $"q={Uri.EscapeDataString(q)}")).SequenceEqual([milica.Id()]), $"q={q}");
        var found = Assert.Single(await SearchAsync(organisation.Caseworker, "q=djordjevic"));
        Assert.Equal("Đorđević", found["identity"]!["familyName"]!.GetValue<string>());
        Assert.Empty(await SearchAsync(organisation.Caseworker, "q=jovanovic"));
    }

    [Fact]
    public async Task A_transliterated_arabic_name_is_found_from_its_spelling_variants()
    {
        var organisation = await _network.OrganisationAsync();
        var person = await organisation.Caseworker.CreatePersonAsync(PeopleApi.Person("Mohammad", "Karimi", sex: "male", nationality: "AF"));
        foreach (var q in new[] { "Muhammad", "Mohamed", "mohammed karimi", "Qarimi", "MUHAMAD" })
            Assert.True((await IdsAsync(organisation.Caseworker, $"q={Uri.EscapeDataString(q)}")).SequenceEqual([person.Id()]), $"q={q}");
        Assert.Empty(await SearchAsync(organisation.Caseworker, "q=Ahmadi"));
        // Filters narrow the match: the clear birth year and nationality.
        Assert.Single(await SearchAsync(organisation.Caseworker, "q=karimi&birthYear=1994&nationality=AF"));
        Assert.Empty(await SearchAsync(organisation.Caseworker, "q=karimi&birthYear=1995"));
        Assert.Empty(await SearchAsync(organisation.Caseworker, "q=karimi&nationality=IR"));
    }

    [Fact]
    public async Task Phone_digits_and_external_ref_find_the_person()
    {
        var organisation = await _network.OrganisationAsync();
        var person = await organisation.Caseworker.CreatePersonAsync(PeopleApi.Person("Amina", "Hadžić", externalRef: "CSW-77/2026", phone: "+381 64 123 4567"));
        Assert.Equal([person.Id()], await IdsAsync(organisation.Caseworker, "q=064%201234567"));
        Assert.Equal([person.Id()], await IdsAsync(organisation.Caseworker, $"q={Uri.EscapeDataString("CSW-77/2026")}"));
        Assert.Empty(await SearchAsync(organisation.Caseworker, "q=0649999999"));
    }

    [Fact]
    public async Task Only_persons_the_caller_may_see_are_found_and_every_identity_returned_is_in_the_access_log()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync("centre_for_social_work", ["legal_aid"]);
        var outsider = await _network.OrganisationAsync("centre_for_social_work", ["legal_aid"]);
        var referred = await _network.SubmitAsync(referrer, receiver, TestNetwork.Referral(receiver.Id, PeopleApi.Person("Zahra", "Rahimi")));
        var personId = referred["person"]!.Id();
        var kept = await referrer.Caseworker.CreatePersonAsync(PeopleApi.Person("Zahra", "Rahimi", birthYear: 1990));

        Assert.Equal([kept.Id(), personId], await IdsAsync(referrer.Caseworker, "q=rahimi"));
        // The receiver sees the referred person only, not the other record the referrer keeps.
        Assert.Equal([personId], await IdsAsync(receiver.Caseworker, "q=rahimi"));
        Assert.Empty(await SearchAsync(outsider.Caseworker, "q=rahimi"));
        Assert.Empty(await SearchAsync(outsider.Caseworker, "q=zahra"));

        var reads = (await fixture.EventsAsync($"person/{personId}")).Count(e => e.Type == "person.identity_read");
        await SearchAsync(receiver.Caseworker, "q=zahra");
        var after = await fixture.EventsAsync($"person/{personId}");
        Assert.Equal(reads + 1, after.Count(e => e.Type == "person.identity_read"));
        var read = JsonNode.Parse(after[^1].Data)!;
        Assert.Equal(receiver.Id, read["organisationId"]!.GetValue<Guid>());
        Assert.Equal("search", read["via"]!.GetValue<string>());

        // GET /referrals?q=<name>: within the caller's box.
        var inbox = await AuditTestKit.GetJsonAsync(receiver.Caseworker, "/api/v1/referrals?box=inbox&q=Rahimi");
        Assert.Equal([referred.Id()], inbox["items"]!.AsArray().Select(i => i!.Id()));
        Assert.Empty((await AuditTestKit.GetJsonAsync(receiver.Caseworker, "/api/v1/referrals?box=inbox&q=Petrovic"))["items"]!.AsArray());
        Assert.Empty((await AuditTestKit.GetJsonAsync(outsider.Caseworker, "/api/v1/referrals?box=inbox&q=Rahimi"))["items"]!.AsArray());
    }

    [Fact]
    public async Task Erasure_removes_the_persons_index_entries_and_the_search_no_longer_finds_them()
    {
        var organisation = await _network.OrganisationAsync();
        var person = await organisation.Caseworker.CreatePersonAsync(PeopleApi.Person("Farid", "Nazari"));
        await using var connection = await fixture.OpenAsync();
        Assert.True(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM person_search_terms WHERE person_id = @Id", new { Id = person.Id() }) >= 5);

        var admin = fixture.Client(await _network.OrganisationAdminAsync(organisation.Id));
        await TestNetwork.Expect(await admin.PostAsJsonAsync($"/api/v1/persons/{person.Id()}/erasure", new { reason = "request of the data subject" }), HttpStatusCode.OK);

        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM person_search_terms WHERE person_id = @Id", new { Id = person.Id() }));
        Assert.Empty(await SearchAsync(organisation.Caseworker, "q=nazari"));
    }

    [Fact]
    public async Task A_search_without_a_usable_q_or_with_a_bad_filter_is_a_400_naming_the_field()
    {
        var organisation = await _network.OrganisationAsync();
        foreach (var (query, field) in new[] { ("", "q"), ("q=%20-%20", "q"), ($"q={new string('a', 101)}", "q"), ("q=a&nationality=serbia", "nationality"), ("q=a&birthYear=1066", "birthYear") })
        {
            var response = await organisation.Caseworker.GetAsync($"/api/v1/persons?{query}");
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{query}: {(int)response.StatusCode}");
            Assert.True((await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]?[field] is not null, query);
        }
    }

    [Theory]
    [InlineData("Đorđević", "djordjevic")]
    [InlineData("Ђорђевић", "djordjevic")]
    [InlineData("Љубица Њего Џаферовић", "ljubica njego dzaferovic")]
    [InlineData("Šćepanović-Žužić", "scepanovic zuzic")]
    [InlineData("Ma'ruf  AL-HASSAN", "maruf al hassan")]
    public void Names_fold_to_the_same_tokens(string name, string tokens) => Assert.Equal(tokens.Split(' '), SearchTerms.Tokens(name));

    [Theory]
    [InlineData("mohammad")]
    [InlineData("muhammad")]
    [InlineData("mohamed")]
    [InlineData("mohammed")]
    [InlineData("muhamad")]
    public void Spelling_variants_of_a_transliterated_name_share_a_phonetic_key(string token) => Assert.Equal("mhmd", SearchTerms.Phonetic(token));

    [Fact]
    public void Different_names_have_different_phonetic_keys()
    {
        Assert.NotEqual(SearchTerms.Phonetic("karimi"), SearchTerms.Phonetic("rahimi"));
        Assert.Equal(SearchTerms.Phonetic("karimi"), SearchTerms.Phonetic("qarimi"));
        Assert.Equal(SearchTerms.Phonetic("khalid"), SearchTerms.Phonetic("halid"));
    }
}

public sealed class PersonSearchTests_Sqlite(SqliteApiFixture fixture) : PersonSearchTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class PersonSearchTests_Postgres(PostgresApiFixture fixture) : PersonSearchTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class PersonSearchTests_SqlServer(SqlServerApiFixture fixture) : PersonSearchTests(fixture), IClassFixture<SqlServerApiFixture>;
