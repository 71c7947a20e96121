using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Limits;

/// <summary>Secrets, identities and notes never reach the logs, at any level, whatever a client sends.</summary>
public abstract class LogHygieneTests(ApiFixture fixture)
{
    [Fact]
    public async Task Keys_identities_and_free_text_never_appear_in_logs()
    {
        var network = new TestNetwork(fixture);
        var a = await network.OrganisationAsync();
        var b = await network.OrganisationAsync();
        const string secretReason = "secret-note-7431 Мирјана needs shelter";
        var referral = await network.SubmitAsync(a, b, TestNetwork.Referral(b.Id, TestNetwork.Person("Мирјана", "Петровић"), reason: secretReason));
        await b.Caseworker.GetAsync($"/api/v1/persons/{referral["person"]!["id"]}");
        await b.Caseworker.GetAsync($"/api/v1/referrals/{referral["id"]}");
        // Bad input that carries the same values must not be logged either.
        await a.Caseworker.PostAsJsonAsync("/api/v1/referrals", new { receiverOrganisationId = "Zainab Al-Hassan", reason = secretReason });
        await a.Caseworker.PostAsJsonAsync("/api/v1/referrals", new { receiverOrganisationId = b.Id, services = new[] { "legal_aid" }, urgency = "urgent",
            reason = secretReason, person = new { givenName = "Zainab", familyName = "Al-Hassan", birthYear = 3000 } });
        var revoked = fixture.Client("rn_" + new string('z', 43));
        await revoked.GetAsync("/api/v1/me");

        var logs = fixture.Logs.All;
        Assert.NotEmpty(fixture.Logs.Lines);
        foreach (var forbidden in new[] { fixture.AdminKey, a.CaseworkerKey, b.CaseworkerKey, "rn_zzzz", "Мирјана", "Петровић", "Zainab", "Al-Hassan", "secret-note-7431" })
            Assert.DoesNotContain(forbidden, logs);
    }
}

public sealed class LogHygieneTests_Sqlite(SqliteApiFixture fixture) : LogHygieneTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class LogHygieneTests_Postgres(PostgresApiFixture fixture) : LogHygieneTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class LogHygieneTests_SqlServer(SqlServerApiFixture fixture) : LogHygieneTests(fixture), IClassFixture<SqlServerApiFixture>;
