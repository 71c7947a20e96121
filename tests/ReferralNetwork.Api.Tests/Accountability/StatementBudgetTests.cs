using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Lifecycle;
using ReferralNetwork.Api.Tests.Users;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Api.Tests.Accountability;

/// <summary>
/// Issue 13 item 8: the one write path is cheap. Statements are counted by a wrapper around every connection
/// (<c>Database:CountStatements</c>), for the whole request — authentication included. SQLite only: the path is the same
/// on every engine (one dialect member differs in text, not in count), and Dapper would pass lists differently to a
/// wrapped PostgreSQL connection.
/// </summary>
public sealed class StatementBudgetTests(StatementBudgetTests.CountingFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
    : IClassFixture<StatementBudgetTests.CountingFixture>
{
    public sealed class CountingFixture : SqliteApiFixture
    {
        protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Database:CountStatements"] = "true" };
    }

    private readonly TestNetwork _network = new(fixture);

    private StatementCounter Counter => fixture.Factory.Services.GetRequiredService<StatementCounter>();

    private async Task<(T Result, List<string> Statements)> CountAsync<T>(Func<Task<T>> request)
    {
        var before = Counter.Count;
        var result = await request();
        var ran = (int)(Counter.Count - before);
        return (result, Counter.Recent.TakeLast(ran).ToList());
    }

    [Fact]
    public async Task A_submit_runs_at_most_14_statements_an_accept_at_most_10_and_each_audit_event_costs_two()
    {
        var (referrer, receiver) = (await _network.OrganisationAsync(), await _network.OrganisationAsync());
        await _network.SubmitAsync(referrer, receiver); // warms the protocol cache and the connection's settings, as any running server is

        var (created, submit) = await CountAsync(async () => await _network.SubmitAsync(referrer, receiver));
        var id = LifecycleApi.IdOf(created);
        Assert.True(submit.Count <= 14, $"submit ran {submit.Count} statements:\n{string.Join("\n---\n", submit)}");
        // Two audit events (person.created, referral.submitted) that open two streams: one multi-row insert of events, one of heads.
        Assert.Equal(2, submit.Count(s => s.Contains("audit_", StringComparison.Ordinal)));

        // A partner's submit carries an Idempotency-Key: the key's claim before the command and its stored answer after it are
        // the only statements it adds (the idempotency store's own cost, the same for every idempotent route).
        var (keyed, keyedSubmit) = await CountAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals") { Content = JsonContent.Create(TestNetwork.Referral(receiver.Id)) };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("D"));
            return await referrer.Caseworker.SendAsync(request);
        });
        await TestNetwork.Expect(keyed, HttpStatusCode.Created);
        // Issue 17 added two statements to a submit (the reference's counter, the new person's blind-index terms): 14 without a key, 16 with one.
        Assert.True(keyedSubmit.Count <= 16 && keyedSubmit.Count <= submit.Count + 2, $"submit with an Idempotency-Key ran {keyedSubmit.Count} statements:\n{string.Join("\n---\n", keyedSubmit)}");
        Assert.Equal(2, keyedSubmit.Count(s => s.Contains("idempotency_keys", StringComparison.Ordinal)));

        var (_, etag) = await receiver.Caseworker.ReadAsync(id);
        var (response, accept) = await CountAsync(() => receiver.Caseworker.ActAsync(id, "accept", etag));
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        Assert.True(accept.Count <= 10, $"accept ran {accept.Count} statements:\n{string.Join("\n---\n", accept)}");
        Assert.Equal(2, accept.Count(s => s.Contains("INSERT INTO audit_events", StringComparison.Ordinal) || s.Contains("UPDATE audit_stream_heads", StringComparison.Ordinal)));
        Assert.Single(accept, s => s.Contains("UPDATE referrals", StringComparison.Ordinal));
        // The same count, per request, in the diagnostic header the benchmark reads (the process-wide count above may also
        // hold a background worker's statement, never fewer than the request's own).
        var header = int.Parse(Assert.Single(response.Headers.GetValues("SQL-Statements")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(header, 3, accept.Count);
        output.WriteLine($"submit: {submit.Count} statements ({keyedSubmit.Count} with an Idempotency-Key), accept: {accept.Count} statements (authentication included)");
    }

    [Fact]
    public async Task Session_authentication_costs_one_statement_as_an_API_key_does_and_moves_the_idle_expiry_at_most_once_a_minute()
    {
        var organisation = await _network.OrganisationAsync();
        var user = await fixture.SignedInUserAsync(_network, organisation.Id, "caseworker");
        await organisation.Caseworker.GetStringAsync("/api/v1/me");
        var (_, byKey) = await CountAsync(() => organisation.Caseworker.GetStringAsync("/api/v1/me"));
        var (_, bySession) = await CountAsync(() => user.Client.GetStringAsync("/api/v1/me"));
        Assert.Equal(byKey.Count, bySession.Count);
        Assert.Single(bySession, s => s.Contains("user_sessions", StringComparison.Ordinal));
        fixture.Time.Advance(TimeSpan.FromMinutes(2));
        var (_, touched) = await CountAsync(() => user.Client.GetStringAsync("/api/v1/me"));
        Assert.Equal(byKey.Count + 1, touched.Count);
        Assert.Single(touched, s => s.StartsWith("UPDATE user_sessions", StringComparison.Ordinal));
    }
}
