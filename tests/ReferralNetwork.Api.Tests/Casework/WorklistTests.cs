using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Audit;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.People;

namespace ReferralNetwork.Api.Tests.Casework;

/// <summary>Issue 17 item 4: the worklist — a box by due time (keyset), and counts per box under the list's filters.</summary>
public abstract class WorklistTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private async Task<(TestOrganisation Referrer, TestOrganisation Receiver, Guid Routine, Guid Emergency, Guid Urgent)> BoxAsync()
    {
        var referrer = await _network.OrganisationAsync();
        var receiver = await _network.OrganisationAsync("centre_for_social_work", ["legal_aid"]);
        var routine = await _network.SubmitAsync(referrer, receiver, TestNetwork.Referral(receiver.Id, urgency: "routine"));
        var emergency = await _network.SubmitAsync(referrer, receiver, TestNetwork.Referral(receiver.Id, urgency: "emergency"));
        var urgent = await _network.SubmitAsync(referrer, receiver, TestNetwork.Referral(receiver.Id, urgency: "urgent"));
        return (referrer, receiver, routine.Id(), emergency.Id(), urgent.Id());
    }

    private static async Task<List<Guid>> AllPagesAsync(HttpClient client, string url, int limit)
    {
        var ids = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await AuditTestKit.GetJsonAsync(client, $"{url}&limit={limit}{(cursor is null ? "" : $"&cursor={cursor}")}");
            ids.AddRange(page["items"]!.AsArray().Select(i => i!.Id()));
            cursor = page["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);
        return ids;
    }

    [Fact]
    public async Task Sort_due_lists_the_earliest_open_deadline_first_and_pages_by_keyset_in_the_same_order()
    {
        var (_, receiver, routine, emergency, urgent) = await BoxAsync();

        var byDue = await AllPagesAsync(receiver.Caseworker, "/api/v1/referrals?box=inbox&sort=due", 100);
        Assert.Equal([emergency, urgent, routine], byDue);
        Assert.Equal(byDue, await AllPagesAsync(receiver.Caseworker, "/api/v1/referrals?box=inbox&sort=due", 1));
        Assert.Equal([urgent, emergency, routine], await AllPagesAsync(receiver.Caseworker, "/api/v1/referrals?box=inbox&sort=created", 1));
        Assert.Equal([urgent, emergency, routine], await AllPagesAsync(receiver.Caseworker, "/api/v1/referrals?box=inbox", 2));

        var first = (await AuditTestKit.GetJsonAsync(receiver.Caseworker, "/api/v1/referrals?box=inbox&sort=due&limit=1"))["items"]![0]!;
        Assert.Equal(first["deadlines"]!["acknowledgeBy"]!.GetValue<DateTimeOffset>(), first["nextDueAt"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task A_referral_whose_duties_are_all_closed_goes_to_the_end_of_the_due_list()
    {
        var (referrer, receiver, routine, emergency, urgent) = await BoxAsync();
        var withdraw = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{emergency}/withdraw") { Content = JsonContent.Create(new { reason = "sent twice" }) };
        withdraw.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
        await TestNetwork.Expect(await referrer.Caseworker.SendAsync(withdraw), HttpStatusCode.OK);

        Assert.Equal([urgent, routine, emergency], await AllPagesAsync(receiver.Caseworker, "/api/v1/referrals?box=inbox&sort=due", 1));
        var cancelled = (await AuditTestKit.GetJsonAsync(receiver.Caseworker, "/api/v1/referrals?box=inbox&sort=due&status=cancelled"))["items"]![0]!;
        Assert.Null(cancelled["nextDueAt"]);
    }

    [Fact]
    public async Task Counts_follow_the_filters_the_list_shows()
    {
        var (referrer, receiver, _, emergency, _) = await BoxAsync();
        var all = await AuditTestKit.GetJsonAsync(receiver.Caseworker, "/api/v1/referrals/counts");
        Assert.Equal(3, all["inbox"]!.GetValue<long>());
        Assert.Equal(0, all["outbox"]!.GetValue<long>());
        Assert.Equal(0, all["observing"]!.GetValue<long>());
        Assert.Null(all["mine"]);

        var urgentOnly = await AuditTestKit.GetJsonAsync(receiver.Caseworker, "/api/v1/referrals/counts?urgency=emergency");
        Assert.Equal(1, urgentOnly["inbox"]!.GetValue<long>());
        var listed = await AuditTestKit.GetJsonAsync(receiver.Caseworker, "/api/v1/referrals?box=inbox&urgency=emergency");
        Assert.Equal([emergency], listed["items"]!.AsArray().Select(i => i!.Id()));

        var outbox = await AuditTestKit.GetJsonAsync(referrer.Caseworker, "/api/v1/referrals/counts?box=outbox&status=requested");
        Assert.Equal(3, outbox["outbox"]!.GetValue<long>());
        Assert.Null(outbox["inbox"]);
        var reference = (await AuditTestKit.GetJsonAsync(referrer.Caseworker, $"/api/v1/referrals/{emergency}"))["reference"]!.GetValue<string>();
        Assert.Equal(1, (await AuditTestKit.GetJsonAsync(referrer.Caseworker, $"/api/v1/referrals/counts?box=outbox&q={reference}"))["outbox"]!.GetValue<long>());
        Assert.Equal(0, (await AuditTestKit.GetJsonAsync(referrer.Caseworker, "/api/v1/referrals/counts?box=outbox&status=accepted"))["outbox"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_bad_sort_or_box_is_a_400_naming_it()
    {
        var organisation = await _network.OrganisationAsync();
        foreach (var (url, field) in new[] { ("/api/v1/referrals?box=inbox&sort=name", "sort"), ("/api/v1/referrals/counts?box=attic", "box"),
                     ("/api/v1/referrals/counts?box=mine", "box") })
        {
            var response = await organisation.Caseworker.GetAsync(url);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, url);
            Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]![field]);
        }
    }
}

public sealed class WorklistTests_Sqlite(SqliteApiFixture fixture) : WorklistTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class WorklistTests_Postgres(PostgresApiFixture fixture) : WorklistTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class WorklistTests_SqlServer(SqlServerApiFixture fixture) : WorklistTests(fixture), IClassFixture<SqlServerApiFixture>;
