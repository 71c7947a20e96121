using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Lifecycle;

/// <summary>A responsibility period as stored, for asserting the trail straight from the table.</summary>
public sealed record PeriodRow
{
    public long Seq { get; init; }
    public Guid OrganisationId { get; init; }
    public DateTimeOffset FromAt { get; init; }
    public DateTimeOffset? UntilAt { get; init; }
    public string Basis { get; init; } = "";
    public string? ClosedBasis { get; init; }
}

/// <summary>Referral actions over HTTP, as a partner calls them: read the ETag, act with If-Match.</summary>
public static class LifecycleApi
{
    public static async Task<HttpResponseMessage> ActAsync(this HttpClient client, Guid id, string action, string? ifMatch, object? body = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{id}/{action}");
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (body is not null) request.Content = JsonContent.Create(body);
        return await client.SendAsync(request);
    }

    public static async Task<(JsonObject Referral, string ETag)> ReadAsync(this HttpClient client, Guid id)
    {
        var response = await client.GetAsync($"/api/v1/referrals/{id}");
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        return ((await response.Content.ReadFromJsonAsync<JsonObject>())!, response.Headers.ETag!.Tag);
    }

    /// <summary>Reads the current ETag, takes the action and expects 200; returns the referral as it is afterwards.</summary>
    public static async Task<JsonObject> MoveAsync(this HttpClient client, Guid id, string action, object? body = null)
    {
        var (_, etag) = await client.ReadAsync(id);
        var response = await client.ActAsync(id, action, etag, body);
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        var referral = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal($"\"{referral["version"]!.GetValue<int>()}\"", response.Headers.ETag!.Tag);
        return referral;
    }

    public static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        await TestNetwork.Expect(response, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public static string[] Strings(JsonNode? array) => array!.AsArray().Select(n => n!.GetValue<string>()).ToArray();

    public static Guid IdOf(JsonObject referral) => referral["id"]!.GetValue<Guid>();

    public static async Task<List<PeriodRow>> PeriodsAsync(this ApiFixture fixture, Guid referralId)
    {
        await using var connection = await fixture.OpenAsync();
        return (await connection.QueryAsync<PeriodRow>("""
            SELECT seq, organisation_id AS OrganisationId, from_at AS FromAt, until_at AS UntilAt, basis, closed_basis AS ClosedBasis
            FROM responsibility_periods WHERE referral_id = @Id ORDER BY seq
            """, new { Id = referralId })).ToList();
    }

    /// <summary>DESIGN §5: from submission on, each period starts where the previous ended — no gap, no overlap.</summary>
    public static void AssertContiguous(IReadOnlyList<PeriodRow> periods, DateTimeOffset submittedAt, bool closed)
    {
        Assert.NotEmpty(periods);
        Assert.Equal(submittedAt, periods[0].FromAt);
        for (var i = 0; i < periods.Count; i++)
        {
            Assert.Equal(i + 1, periods[i].Seq);
            if (i > 0) Assert.Equal(periods[i - 1].UntilAt, periods[i].FromAt);
            if (periods[i].UntilAt is { } until) Assert.True(until >= periods[i].FromAt);
            else Assert.Equal(periods.Count - 1, i);
        }
        Assert.Equal(closed, periods[^1].UntilAt is not null);
    }

    public static async Task<long> CountAsync(this ApiFixture fixture, string sql, object parameters)
    {
        await using var connection = await fixture.OpenAsync();
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }
}
