using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Limits;

/// <summary>A small body limit and a low per-key rate, so the limits can be reached in a test.</summary>
public sealed class LimitedApiFixture : SqliteApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Limits:MaxRequestBodyBytes"] = "4096",
        ["RateLimiting:Enabled"] = "true",
        ["RateLimiting:PermitsPerMinute"] = "60",
    };
}

public sealed class LimitsTests(LimitedApiFixture fixture) : IClassFixture<LimitedApiFixture>
{
    [Fact]
    public async Task A_body_over_the_limit_is_413_problem_and_nothing_is_written()
    {
        var before = await fixture.RowCountsAsync();
        var content = new StringContent("{\"name\":\"" + new string('x', 10_000) + "\"}", Encoding.UTF8, "application/json");
        var response = await fixture.Admin().PostAsync("/api/v1/organisations", content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task A_key_over_its_rate_gets_429_with_retry_after_while_other_keys_go_on()
    {
        var network = new TestNetwork(fixture);
        var busy = await network.OrganisationAsync();
        var calm = await network.OrganisationAsync();
        HttpResponseMessage? limited = null;
        var remaining = new List<int>();
        for (var i = 0; i < 40 && limited is null; i++)
        {
            var response = await busy.Caseworker.GetAsync("/api/v1/me");
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
            // Every answer says what is left of the key's bucket (IETF RateLimit headers), the 429 included.
            var header = response.Headers.GetValues("RateLimit").Single();
            Assert.Matches("^\"per-key\";r=[0-9]+;t=[0-9]+$", header);
            remaining.Add(int.Parse(header.Split(";r=")[1].Split(';')[0]));
            Assert.Matches("^\"per-key\";q=[0-9]+;w=[0-9]+$", response.Headers.GetValues("RateLimit-Policy").Single());
        }
        Assert.NotNull(limited);
        Assert.Equal(0, remaining[^1]);
        Assert.True(remaining[0] > remaining[^1], string.Join(',', remaining));
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) >= 1);
        var problem = await limited.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(429, problem!["status"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await calm.Caseworker.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task Cross_origin_requests_get_no_cors_grant_unless_configured()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/v1/referrals");
        preflight.Headers.Add("Origin", "https://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        var response = await fixture.Client().SendAsync(preflight);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        using var get = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        get.Headers.Add("Origin", "https://evil.example");
        var answer = await fixture.Client().SendAsync(get);
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal("nosniff", answer.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Page_size_is_capped()
    {
        var network = new TestNetwork(fixture);
        var organisation = await network.OrganisationAsync();
        var response = await organisation.Caseworker.GetAsync("/api/v1/referrals?box=inbox&limit=1000");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
