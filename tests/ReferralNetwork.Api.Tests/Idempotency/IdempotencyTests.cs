using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Idempotency;

public abstract class IdempotencyTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private static HttpRequestMessage Submit(string body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return request;
    }

    private static string Body(Guid receiver, string reason = "Needs advice on the asylum procedure") =>
        JsonSerializer.Serialize(TestNetwork.Referral(receiver, reason: reason), TestNetwork.Json);

    private async Task<long> ReferralsFromAsync(Guid organisationId)
    {
        await using var connection = await fixture.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM referrals WHERE referrer_organisation_id = @Org", new { Org = organisationId });
    }

    [Fact]
    public async Task Ten_concurrent_submits_with_one_key_create_exactly_one_referral()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var body = Body(receiver.Id);
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => referrer.Caseworker.SendAsync(Submit(body, key))));

        Assert.Equal(1, await ReferralsFromAsync(referrer.Id));
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.Conflict }));
        var ids = new HashSet<string>();
        foreach (var response in responses.Where(r => r.StatusCode == HttpStatusCode.Created))
            ids.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        Assert.Single(ids);
        foreach (var response in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        var retry = await referrer.Caseworker.SendAsync(Submit(body, key));
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(ids.Single(), (await retry.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        Assert.Equal(1, await ReferralsFromAsync(referrer.Id));
    }

    [Fact]
    public async Task A_sequential_retry_replays_status_body_etag_and_location()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var body = Body(receiver.Id);
        var key = "\"order-7f3a\"";

        var first = await referrer.Caseworker.SendAsync(Submit(body, key));
        await TestNetwork.Expect(first, HttpStatusCode.Created);
        var before = await fixture.RowCountsAsync();
        fixture.Time.Advance(TimeSpan.FromMinutes(5));
        var second = await referrer.Caseworker.SendAsync(Submit(body, "order-7f3a")); // the bare form names the same key

        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.ETag, second.Headers.ETag);
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal("application/json", second.Content.Headers.ContentType?.MediaType);
        Assert.True(second.Headers.Contains("Idempotent-Replayed"));
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_422_and_writes_nothing()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var key = Guid.NewGuid().ToString();
        await TestNetwork.Expect(await referrer.Caseworker.SendAsync(Submit(Body(receiver.Id), key)), HttpStatusCode.Created);
        var before = await fixture.RowCountsAsync();

        var response = await referrer.Caseworker.SendAsync(Submit(Body(receiver.Id, "Another reason entirely"), key));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("idempotency.key_reused", (await response.Content.ReadFromJsonAsync<JsonObject>())!["rule"]!.GetValue<string>());
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Keys_are_scoped_to_the_callers_organisation()
    {
        var first = await _network.OrganisationAsync();
        var second = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var body = Body(receiver.Id);
        const string key = "shared-key-1";

        var a = await (await first.Caseworker.SendAsync(Submit(body, key))).Content.ReadFromJsonAsync<JsonObject>();
        var response = await second.Caseworker.SendAsync(Submit(body, key));

        await TestNetwork.Expect(response, HttpStatusCode.Created);
        var b = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.NotEqual(a!["id"]!.GetValue<string>(), b!["id"]!.GetValue<string>());
        Assert.Equal(second.Id, b["referrerOrganisationId"]!.GetValue<Guid>());
        Assert.Equal(1, await ReferralsFromAsync(first.Id));
        Assert.Equal(1, await ReferralsFromAsync(second.Id));
    }

    [Theory]
    [InlineData(256)]
    [InlineData(0)]
    public async Task A_key_outside_1_to_255_printable_ascii_characters_is_400(int length)
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var before = await fixture.RowCountsAsync();
        var key = length == 0 ? "\"\"" : new string('k', length);
        var response = await referrer.Caseworker.SendAsync(Submit(Body(receiver.Id), key));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["idempotencyKey"]);
        Assert.Equal(before, await fixture.RowCountsAsync());

        var unicode = await referrer.Caseworker.SendAsync(Submit(Body(receiver.Id), "\"ključ\""));
        Assert.Equal(HttpStatusCode.BadRequest, unicode.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await referrer.Caseworker.SendAsync(Submit(Body(receiver.Id), new string('k', 255)))).StatusCode);
    }

    [Fact]
    public async Task A_refused_request_releases_its_key_for_a_corrected_retry()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var key = Guid.NewGuid().ToString();
        var invalid = Body(receiver.Id).Replace("\"urgent\"", "\"whenever\"");

        Assert.Equal(HttpStatusCode.BadRequest, (await referrer.Caseworker.SendAsync(Submit(invalid, key))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await referrer.Caseworker.SendAsync(Submit(invalid, key))).StatusCode);
        await using (var connection = await fixture.OpenAsync())
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM idempotency_keys WHERE idempotency_key = @Key", new { Key = key }));

        await TestNetwork.Expect(await referrer.Caseworker.SendAsync(Submit(Body(receiver.Id), key)), HttpStatusCode.Created);
    }

    [Fact]
    public async Task An_in_flight_key_is_409_until_its_lock_times_out_then_a_retry_takes_it_over()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var body = Body(receiver.Id);
        var key = Guid.NewGuid().ToString();
        // A request that claimed the key and died before committing (its process crashed) leaves this row behind.
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("post\n/api/v1/referrals\n" + body)));
        var now = fixture.Time.GetUtcNow();
        var principal = (await referrer.Caseworker.GetFromJsonAsync<JsonObject>("/api/v1/me"))!["principalId"]!.GetValue<Guid>();
        await using (var connection = await fixture.OpenAsync())
            await connection.ExecuteAsync("""
                INSERT INTO idempotency_keys (organisation_id, idempotency_key, principal_id, operation, request_hash, state, created_at, expires_at)
                VALUES (@Org, @Key, @Principal, 'POST /api/v1/referrals', @Hash, 'in_flight', @Now, @Expires)
                """, new { Org = referrer.Id, Key = key, Principal = principal, Hash = fingerprint, Now = now, Expires = now.AddHours(24) });

        var blocked = await referrer.Caseworker.SendAsync(Submit(body, key));
        Assert.Equal(HttpStatusCode.Conflict, blocked.StatusCode);
        Assert.Equal(0, await ReferralsFromAsync(referrer.Id));

        fixture.Time.Advance(TimeSpan.FromSeconds(61));
        await TestNetwork.Expect(await referrer.Caseworker.SendAsync(Submit(body, key)), HttpStatusCode.Created);
        Assert.Equal(1, await ReferralsFromAsync(referrer.Id));
    }

    [Fact]
    public async Task An_expired_key_starts_a_new_request()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var body = Body(receiver.Id);
        var key = Guid.NewGuid().ToString();
        var first = await (await referrer.Caseworker.SendAsync(Submit(body, key))).Content.ReadFromJsonAsync<JsonObject>();

        fixture.Time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        var second = await referrer.Caseworker.SendAsync(Submit(body, key));

        await TestNetwork.Expect(second, HttpStatusCode.Created);
        Assert.NotEqual(first!["id"]!.GetValue<string>(), (await second.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
        Assert.Equal(2, await ReferralsFromAsync(referrer.Id));
    }

    [Fact]
    public async Task Without_a_key_every_submit_creates_a_referral()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync();
        var body = Body(receiver.Id);
        await TestNetwork.Expect(await referrer.Caseworker.SendAsync(Submit(body, null)), HttpStatusCode.Created);
        await TestNetwork.Expect(await referrer.Caseworker.SendAsync(Submit(body, null)), HttpStatusCode.Created);
        Assert.Equal(2, await ReferralsFromAsync(referrer.Id));
    }
}

public sealed class IdempotencyTests_Sqlite(SqliteApiFixture fixture) : IdempotencyTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class IdempotencyTests_Postgres(PostgresApiFixture fixture) : IdempotencyTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class IdempotencyTests_SqlServer(SqlServerApiFixture fixture) : IdempotencyTests(fixture), IClassFixture<SqlServerApiFixture>;
