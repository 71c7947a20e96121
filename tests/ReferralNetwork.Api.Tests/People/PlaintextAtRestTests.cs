using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Abstractions;

namespace ReferralNetwork.Api.Tests.People;

/// <summary>
/// The acceptance test of issue 6: after people are registered, referred (with reasons, an override justification, a
/// note, a consent withdrawal and documents) and read, the bytes of every text and blob column of every table hold no name, phone
/// number or free text in clear.
/// </summary>
public abstract class PlaintextAtRestTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    // Issue 17: also the folded forms the blind index is built from, and the phone's digits, which must
    // reach the index tables only as keyed hashes.
    private static readonly string[] Secrets = ["Мирјана", "Петровић", "Zainab", "Al-Hassan", PeopleApi.Phone, "secret-note-7431", "SRB-AS-0042", "Krnjača",
        "mirjana", "petrovic", "zainab", "hassan", "601234567"];

    [Fact]
    public async Task No_table_holds_a_name_phone_or_free_text_in_clear()
    {
        var guardian = await _network.OrganisationAsync("centre_for_social_work", name: "Control: CSW Sombor");
        var referrer = await _network.OrganisationAsync("youth_office");
        var receiver = await _network.OrganisationAsync("ngo");

        var mirjana = await referrer.Caseworker.CreatePersonAsync(PeopleApi.Person("Мирјана", "Петровић", externalRef: "REF-1"));
        var consent = await referrer.Caseworker.RecordConsentAsync(mirjana.Id(), PeopleApi.Consent(services: ["legal_aid"]));
        var first = await _network.SubmitAsync(referrer, receiver, PeopleApi.Referral(receiver.Id, mirjana.Id(), new { consentId = consent.Id() },
            reason: "secret-note-7431: afraid of her former partner"));
        var zainab = await _network.SubmitAsync(referrer, receiver, TestNetwork.Referral(receiver.Id, PeopleApi.Person("Zainab", "Al-Hassan"),
            reason: "secret-note-7431 needs a lawyer"));
        var child = await referrer.Caseworker.CreatePersonAsync(PeopleApi.Person("Мирјана", "Zainab", birthYear: 2013, vulnerabilities: ["unaccompanied_child"], guardian: guardian.Id));
        var overridden = await referrer.Caseworker.PostAsJsonAsync("/api/v1/referrals", new
        {
            receiverOrganisationId = receiver.Id, services = new[] { "psychosocial_support" }, urgency = "emergency", reason = "secret-note-7431 alone at the station",
            personId = child.Id(), emergencyOverride = new { justification = "secret-note-7431: guardian unreachable at night" },
        });
        await TestNetwork.Expect(overridden, HttpStatusCode.Created);
        // A stored idempotent answer holds the reason too; notes and action notes go through the API as partners send them.
        using var keyed = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals")
        {
            Content = JsonContent.Create(TestNetwork.Referral(receiver.Id, PeopleApi.Person("Zainab", "Al-Hassan"), reason: "secret-note-7431 replayable")),
        };
        keyed.Headers.Add("Idempotency-Key", "plaintext-at-rest-1");
        await TestNetwork.Expect(await referrer.Caseworker.SendAsync(keyed), HttpStatusCode.Created);
        await TestNetwork.Expect(await receiver.Caseworker.PostAsJsonAsync($"/api/v1/referrals/{zainab["id"]}/notes",
            new { text = "secret-note-7431 by phone " + PeopleApi.Phone }), HttpStatusCode.Created);
        await TestNetwork.Expect(await receiver.Caseworker.WithdrawConsentAsync(mirjana.Id(), consent.Id(), "secret-note-7431: told us by phone " + PeopleApi.Phone), HttpStatusCode.OK);
        await AddSealedNoteAsync(first.Id(), mirjana.Id(), receiver.Id, "secret-note-7431: called Мирјана on " + PeopleApi.Phone);
        // Issue 17: a document whose content and file name hold the secrets, uploaded raw and as multipart.
        var document = Attachments.AttachmentsApi.Pdf(100_000, "secret-note-7431 Мирјана Петровић " + PeopleApi.Phone);
        await Attachments.AttachmentsApi.UploadAsync(referrer.Caseworker, first.Id(), document, fileName: "Petrovic Mirjana saglasnost.pdf");
        using (var form = Attachments.AttachmentsApi.Multipart(zainab.Id(), document, "Zainab Al-Hassan.pdf", "application/pdf"))
            await TestNetwork.Expect(await receiver.Caseworker.SendAsync(form), HttpStatusCode.Created);
        foreach (var reader in new[] { referrer.Caseworker, receiver.Caseworker })
            await TestNetwork.Expect(await reader.GetAsync($"/api/v1/persons/{zainab["person"]!.Id()}"), HttpStatusCode.OK);
        await TestNetwork.Expect(await fixture.Admin().GetAsync("/api/v1/statistics/referrals?groupBy=nationality&period=2026-11"), HttpStatusCode.OK);

        var (found, scanned) = await ScanAsync();
        Assert.Contains("Control: CSW Sombor", found); // the scan does read text columns
        Assert.True(scanned.Blobs > 0 && scanned.Texts > 0, $"{scanned}");
        var leaks = found.Where(f => f.StartsWith("secret:", StringComparison.Ordinal)).ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks));
    }

    /// <summary>A note as the lifecycle writes it (another branch): sealed with the person's data key, bound to its id.</summary>
    private async Task AddSealedNoteAsync(Guid referralId, Guid personId, Guid organisationId, string text)
    {
        var protector = fixture.Factory.Services.GetRequiredService<IPersonalDataProtector>();
        await using var connection = await fixture.OpenAsync();
        var (wrapped, keyId) = await connection.QuerySingleAsync<(byte[] Wrapped, string KeyId)>(
            "SELECT wrapped_key, master_key_id FROM persons WHERE id = @Id", new { Id = personId });
        var id = Guid.CreateVersion7();
        await connection.ExecuteAsync("""
            INSERT INTO referral_notes (id, referral_id, organisation_id, principal_id, body_sealed, created_at)
            VALUES (@Id, @ReferralId, @OrganisationId, @PrincipalId, @Body, @At)
            """, new
        {
            Id = id, ReferralId = referralId, OrganisationId = organisationId, PrincipalId = Guid.NewGuid(),
            Body = protector.Seal(protector.Unwrap(wrapped, keyId), text, $"note:{id}"), At = fixture.Time.GetUtcNow(),
        });
    }

    private sealed record Scanned(int Tables, int Texts, int Blobs);

    /// <summary>Every value of every table, as bytes (text as UTF-8), searched for each secret; plus the control string.</summary>
    private async Task<(List<string> Found, Scanned Scanned)> ScanAsync()
    {
        await using var connection = await fixture.OpenAsync();
        var tables = (await connection.QueryAsync<string>(fixture.Database.Provider == "postgres"
            ? "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")).ToList();
        Assert.Contains("persons", tables);
        Assert.Contains("referral_notes", tables);
        Assert.Contains("person_search_terms", tables);
        Assert.Contains("attachment_chunks", tables);
        Assert.True(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM person_search_terms") > 0, "the index tables are scanned with rows in them");
        Assert.True(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM attachment_chunks") > 0, "the documents' chunks are scanned with rows in them");
        var needles = Secrets.Select(s => (Name: s, Bytes: Encoding.UTF8.GetBytes(s))).Append(("Control: CSW Sombor", Encoding.UTF8.GetBytes("Control: CSW Sombor"))).ToList();
        var found = new List<string>();
        var (texts, blobs) = (0, 0);
        foreach (var table in tables)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {table}";
            await using DbDataReader reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.GetValue(i);
                    byte[] bytes;
                    switch (value)
                    {
                        case byte[] blob: bytes = blob; blobs++; break;
                        case string text: bytes = Encoding.UTF8.GetBytes(text); texts++; break;
                        case DBNull: continue;
                        default: bytes = Encoding.UTF8.GetBytes(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? ""); break;
                    }
                    foreach (var (name, needle) in needles)
                        if (bytes.AsSpan().IndexOf(needle) >= 0)
                            found.Add(name == "Control: CSW Sombor" ? name : $"secret: '{name}' in {table}.{reader.GetName(i)}");
                }
        }
        return (found, new Scanned(tables.Count, texts, blobs));
    }
}

public sealed class PlaintextAtRestTests_Sqlite(SqliteApiFixture fixture) : PlaintextAtRestTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class PlaintextAtRestTests_Postgres(PostgresApiFixture fixture) : PlaintextAtRestTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class PlaintextAtRestTests_SqlServer(SqlServerApiFixture fixture) : PlaintextAtRestTests(fixture), IClassFixture<SqlServerApiFixture>;
