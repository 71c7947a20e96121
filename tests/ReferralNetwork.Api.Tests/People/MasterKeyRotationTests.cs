using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Users;
using ReferralNetwork.Api.Tests.Webhooks;
using ReferralNetwork.Infrastructure.Crypto;
using ReferralNetwork.Infrastructure.Webhooks;

namespace ReferralNetwork.Api.Tests.People;

/// <summary>The master key the API ran with before the rotation: <c>k1</c>.</summary>
public static class OldMasterKey
{
    public const string Id = "k1";
    public static readonly string Key = Convert.ToBase64String(Enumerable.Range(100, 32).Select(i => (byte)i).ToArray());

    public static IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Encryption:MasterKey"] = Key, ["Encryption:MasterKeyId"] = Id, ["Webhooks:AllowPrivateNetworks"] = "true",
        ["Authentication:PasswordIterations"] = "20000",
    };
}

public sealed class OldMasterKeySqliteFixture : SqliteApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => OldMasterKey.Settings;
}

public sealed class OldMasterKeyPostgresFixture : PostgresApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => OldMasterKey.Settings;
}

/// <summary>
/// The documented procedure, end to end: data written under k1; <c>rotate-master-key</c> run as the real program with
/// k2 as the master key and k1 under PreviousKeys; then an API configured with k2 alone reads every identity.
/// </summary>
public abstract class MasterKeyRotationTests(ApiFixture fixture)
{
    private static readonly string NewKey = Convert.ToBase64String(Enumerable.Range(200, 32).Select(i => (byte)i).ToArray());
    private readonly TestNetwork _network = new(fixture);

    private Dictionary<string, string> Environment(string masterKey, string masterKeyId, string? previousKey = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["Database__Provider"] = fixture.Database.Provider, ["ConnectionStrings__ReferralNetwork"] = fixture.Database.ConnectionString,
            ["Encryption__MasterKey"] = masterKey, ["Encryption__MasterKeyId"] = masterKeyId,
        };
        if (previousKey is not null) environment[$"Encryption__PreviousKeys__{OldMasterKey.Id}"] = previousKey;
        return environment;
    }

    private static async Task<(int ExitCode, string Output)> RotateAsync(Dictionary<string, string> environment)
    {
        await using var process = await ApiProcess.StartAsync(environment, "rotate-master-key");
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromMinutes(2));
        return (exitCode, process.Output);
    }

    [Fact]
    public async Task Rotation_rewraps_every_data_key_so_the_new_key_alone_reads_every_identity_answer_and_webhook_secret()
    {
        await using var hooks = await WebhookReceiver.StartAsync(fixture.Time);
        var webhooks = new WebhookTestApi(fixture);
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var subscription = await webhooks.SubscribeAsync(await webhooks.ClientWithRoleAsync(receiver.Id, "partner_system"), hooks.Url);
        var registered = await referrer.Caseworker.CreatePersonAsync(PeopleApi.Person("Мирјана", "Петровић"));
        // Submitted with an Idempotency-Key: its stored answer is sealed under k1 too.
        var submission = JsonSerializer.Serialize(TestNetwork.Referral(receiver.Id, PeopleApi.Person("Zainab", "Al-Hassan"), reason: "Reason under k1"), TestNetwork.Json);
        HttpRequestMessage Submit()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals") { Content = new StringContent(submission, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Idempotency-Key", "rotation-1");
            return request;
        }
        var submitted = await referrer.Caseworker.SendAsync(Submit());
        await TestNetwork.Expect(submitted, System.Net.HttpStatusCode.Created);
        var referral = (await submitted.Content.ReadFromJsonAsync<JsonObject>())!;
        // A person who signs in with a TOTP second factor: the secret is sealed under a data key wrapped by k1.
        var person = await fixture.SignedInUserAsync(_network, referrer.Id, "caseworker");
        var erased = await referrer.Caseworker.CreatePersonAsync(PeopleApi.Person("Gone", "Away"));
        await TestNetwork.Expect(await fixture.Admin().PostAsJsonAsync($"/api/v1/persons/{erased.Id()}/erasure", new { reason = "test" }), System.Net.HttpStatusCode.OK);
        await using var connection = await fixture.OpenAsync();
        Assert.Equal(["k1"], await connection.QueryAsync<string>("SELECT DISTINCT master_key_id FROM persons WHERE wrapped_key IS NOT NULL"));

        // Without the old key the command refuses, and changes nothing.
        var refused = await RotateAsync(Environment(NewKey, "k2"));
        Assert.True(refused.ExitCode == 1, refused.Output);
        Assert.Contains("Encryption:PreviousKeys", refused.Output);
        // With a wrong key under the old id, too.
        var wrong = await RotateAsync(Environment(NewKey, "k2", ApiFixture.MasterKey));
        Assert.True(wrong.ExitCode == 1, wrong.Output);
        Assert.Equal(["k1"], await connection.QueryAsync<string>("SELECT DISTINCT master_key_id FROM persons WHERE wrapped_key IS NOT NULL"));

        var rotated = await RotateAsync(Environment(NewKey, "k2", OldMasterKey.Key));
        Assert.True(rotated.ExitCode == 0, rotated.Output);
        Assert.Contains("Re-wrapped 5 data key(s) under master key 'k2' (5 from k1): 2 person(s), 1 webhook secret(s), 1 stored answer(s), 1 TOTP secret(s).", rotated.Output);
        Assert.Equal(["k2"], await connection.QueryAsync<string>("SELECT DISTINCT master_key_id FROM persons WHERE wrapped_key IS NOT NULL"));
        Assert.Equal(["k2"], await connection.QueryAsync<string>("SELECT DISTINCT master_key_id FROM webhook_subscriptions"));
        Assert.Equal(["k2"], await connection.QueryAsync<string>("SELECT DISTINCT master_key_id FROM idempotency_keys WHERE response_body IS NOT NULL"));
        var totp = await connection.QuerySingleAsync<(byte[] Wrapped, string KeyId)>(
            "SELECT totp_wrapped_key, totp_master_key_id FROM users WHERE id = @Id", new { person.Id });
        Assert.Equal("k2", totp.KeyId);
        // The old key no longer opens the stored secret's data key: once it is destroyed, nothing needs it.
        var oldOnly = new PersonalDataProtector(OldMasterKey.Id, new Dictionary<string, byte[]> { [OldMasterKey.Id] = Convert.FromBase64String(OldMasterKey.Key) });
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => oldOnly.Unwrap(totp.Wrapped, OldMasterKey.Id));
        var again = await RotateAsync(Environment(NewKey, "k2"));
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("Re-wrapped 0 data key(s)", again.Output);

        // An API that knows only k2 reads the identities and reasons written under k1.
        await using var rotatedApi = fixture.Factory.WithWebHostBuilder(web =>
        {
            web.UseSetting("Encryption:MasterKey", NewKey);
            web.UseSetting("Encryption:MasterKeyId", "k2");
        });
        using var referrerClient = rotatedApi.CreateClient();
        referrerClient.DefaultRequestHeaders.Authorization = referrer.Caseworker.DefaultRequestHeaders.Authorization;
        using var receiverClient = rotatedApi.CreateClient();
        receiverClient.DefaultRequestHeaders.Authorization = receiver.Caseworker.DefaultRequestHeaders.Authorization;
        var first = await referrerClient.GetFromJsonAsync<JsonObject>($"/api/v1/persons/{registered.Id()}");
        Assert.Equal("Мирјана", first!["identity"]!["givenName"]!.GetValue<string>());
        var second = await receiverClient.GetFromJsonAsync<JsonObject>($"/api/v1/persons/{referral["person"]!.Id()}");
        Assert.Equal("Zainab", second!["identity"]!["givenName"]!.GetValue<string>());
        var seen = await receiverClient.GetFromJsonAsync<JsonObject>($"/api/v1/referrals/{referral.Id()}");
        Assert.Equal("Reason under k1", seen!["reason"]!.GetValue<string>());
        // The stored answer replays, and the webhook secret signs: nothing waits for the old key (README step 5).
        var replayed = await referrerClient.SendAsync(Submit());
        await TestNetwork.Expect(replayed, System.Net.HttpStatusCode.Created);
        Assert.True(replayed.Headers.Contains("Idempotent-Replayed"));
        Assert.Contains("Reason under k1", await replayed.Content.ReadAsStringAsync());
        await using (var scope = rotatedApi.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<WebhookDispatcher>().RunOnceAsync();
        var delivered = Assert.Single(hooks.Received);
        Assert.True(StandardWebhookVerifier.Verify(subscription.Secret, delivered), "the delivery is signed with the subscription's secret");
        // The person still signs in with their authenticator's code: the TOTP secret opens under k2 alone.
        using var personClient = rotatedApi.CreateClient();
        var signIn = await personClient.SignInAsync(person.Username, person.Password, fixture.Code(person.TotpSecret!, 1));
        await TestNetwork.Expect(signIn, System.Net.HttpStatusCode.OK);
        Assert.Equal(person.Id, (await signIn.Content.ReadFromJsonAsync<JsonObject>())!["user"]!["id"]!.GetValue<Guid>());
        // New persons are wrapped under k2 from the start.
        var created = await referrerClient.PostAsJsonAsync("/api/v1/persons", PeopleApi.Person("New", "Person"));
        var newId = (await created.Content.ReadFromJsonAsync<JsonObject>())!.Id();
        Assert.Equal("k2", await connection.ExecuteScalarAsync<string>("SELECT master_key_id FROM persons WHERE id = @Id", new { Id = newId }));

        var audited = await fixture.EventsAsync("encryption/k2");
        Assert.All(audited, batch => Assert.Equal(("master_key.rewrapped", "system"), (batch.Type, batch.Role)));
        Assert.Equal([("persons", 2), ("webhook_secrets", 1), ("stored_answers", 1), ("totp_secrets", 1)],
            audited.Select(batch => JsonNode.Parse(batch.Data)!).Select(d => (d["kind"]!.GetValue<string>(), d["count"]!.GetValue<int>())));
        await fixture.AssertAuditChainsValidAsync();
    }
}

public sealed class MasterKeyRotationTests_Sqlite(OldMasterKeySqliteFixture fixture) : MasterKeyRotationTests(fixture), IClassFixture<OldMasterKeySqliteFixture>;

[Trait("Database", "Postgres")]
public sealed class MasterKeyRotationTests_Postgres(OldMasterKeyPostgresFixture fixture) : MasterKeyRotationTests(fixture), IClassFixture<OldMasterKeyPostgresFixture>;
