using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Infrastructure.Audit;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Api.Tests.Skeleton;

public abstract class ReferralBasicsTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    [Fact]
    public async Task Submit_then_get_round_trips_what_was_sent_with_cyrillic_and_arabic_byte_for_byte()
    {
        var csw = await _network.OrganisationAsync("centre_for_social_work");
        var ngo = await _network.OrganisationAsync("ngo");
        const string reason = "Треба правна помоћ — يحتاج إلى مساعدة قانونية";
        var body = TestNetwork.Referral(ngo.Id, TestNetwork.Person("Мирјана", "Петровић"), reason: reason);
        var response = await csw.Caseworker.PostAsJsonAsync("/api/v1/referrals", body);
        await TestNetwork.Expect(response, HttpStatusCode.Created);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        var created = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal($"/api/v1/referrals/{created["id"]}", response.Headers.Location?.OriginalString);

        var get = await ngo.Caseworker.GetAsync(response.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("\"1\"", get.Headers.ETag?.Tag);
        var referral = (await get.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("requested", referral["status"]!.GetValue<string>());
        Assert.Equal(csw.Id, referral["referrerOrganisationId"]!.GetValue<Guid>());
        Assert.Equal(ngo.Id, referral["receiverOrganisationId"]!.GetValue<Guid>());
        Assert.Equal(csw.Id, referral["responsibleOrganisationId"]!.GetValue<Guid>());
        Assert.Equal("standard", referral["protocolCode"]!.GetValue<string>());
        Assert.Equal("urgent", referral["urgency"]!.GetValue<string>());
        Assert.Equal(["legal_aid"], referral["services"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal(reason, referral["reason"]!.GetValue<string>());
        Assert.Equal("М.П.", referral["person"]!["initials"]!.GetValue<string>());
        Assert.Equal(1994, referral["person"]!["birthYear"]!.GetValue<int>());
        Assert.Equal(fixture.Time.GetUtcNow().AddHours(24), referral["deadlines"]!["acknowledgeBy"]!.GetValue<DateTimeOffset>());

        // The identity itself, read by the receiver, comes back byte for byte.
        var person = await ngo.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/persons/{referral["person"]!["id"]}");
        Assert.Equal(Encoding.UTF8.GetBytes("Мирјана"), Encoding.UTF8.GetBytes(person!["identity"]!["givenName"]!.GetValue<string>()));
        Assert.Equal("Петровић", person["identity"]!["familyName"]!.GetValue<string>());

        var arabic = await csw.Caseworker.PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(ngo.Id, TestNetwork.Person("زينب", "الحسن")));
        var arabicPerson = (await arabic.Content.ReadFromJsonAsync<JsonObject>())!["person"]!["id"];
        var read = await csw.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/persons/{arabicPerson}");
        Assert.Equal("زينب", read!["identity"]!["givenName"]!.GetValue<string>());
        Assert.Equal("الحسن", read["identity"]!["familyName"]!.GetValue<string>());
    }

    [Fact]
    public async Task Third_organisation_gets_404_and_never_sees_the_referral_in_a_box()
    {
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        var outsider = await _network.OrganisationAsync();
        var referral = await _network.SubmitAsync(a, b);

        var get = await outsider.Caseworker.GetAsync($"/api/v1/referrals/{referral["id"]}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal("application/problem+json", get.Content.Headers.ContentType?.MediaType);
        foreach (var box in new[] { "inbox", "outbox", "observing" })
        {
            var page = await outsider.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals?box={box}");
            Assert.DoesNotContain(page!["items"]!.AsArray(), i => i!["id"]!.GetValue<Guid>() == referral["id"]!.GetValue<Guid>());
        }
        var person = await outsider.Caseworker.GetAsync($"/api/v1/persons/{referral["person"]!["id"]}");
        Assert.Equal(HttpStatusCode.NotFound, person.StatusCode);
        // Network admins manage the network but never see referrals.
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Admin().GetAsync($"/api/v1/referrals/{referral["id"]}")).StatusCode);
    }

    [Fact]
    public async Task Five_bad_fields_return_400_naming_all_five_and_nothing_is_written()
    {
        var a = await _network.OrganisationAsync();
        var before = await fixture.RowCountsAsync();
        var response = await a.Caseworker.PostAsJsonAsync("/api/v1/referrals", new
        {
            receiverOrganisationId = Guid.NewGuid(),
            services = new[] { "Not A Code" },
            urgency = "whenever",
            reason = "",
            person = new { givenName = "A", familyName = "B", birthYear = 1850, sex = "female", legalStatus = "asylum_seeker", vulnerabilities = Array.Empty<string>() },
            consent = new { givenBy = "neighbour", method = "written" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        foreach (var field in new[] { "services[0]", "urgency", "reason", "person.birthYear", "consent.givenBy" })
            Assert.True(errors.ContainsKey(field), $"errors should name {field}: {errors.ToJsonString()}");
        Assert.Equal(before, await fixture.RowCountsAsync());
    }

    [Fact]
    public async Task Receiver_not_offering_the_service_is_422_and_nothing_is_written()
    {
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync(services: ["education"]);
        var before = await fixture.RowCountsAsync();
        var response = await a.Caseworker.PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(b.Id, service: "legal_aid"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("receiver.service_not_offered", (await response.Content.ReadFromJsonAsync<JsonObject>())!["rule"]!.GetValue<string>());
        Assert.Equal(before, await fixture.RowCountsAsync());

        var inactive = await _network.OrganisationAsync();
        await fixture.Admin().PatchAsJsonAsync($"/api/v1/organisations/{inactive.Id}", new { active = false });
        var toInactive = await a.Caseworker.PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(inactive.Id));
        Assert.Equal("receiver.inactive", (await toInactive.Content.ReadFromJsonAsync<JsonObject>())!["rule"]!.GetValue<string>());
    }

    [Fact]
    public async Task Inbox_paging_over_250_referrals_returns_each_exactly_once_newest_first()
    {
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        var sent = new List<Guid>();
        for (var i = 0; i < 250; i++)
        {
            sent.Add((await _network.SubmitAsync(a, b))["id"]!.GetValue<Guid>());
            if (i % 3 == 0) fixture.Time.Advance(TimeSpan.FromMilliseconds(1)); // some share a timestamp: the id breaks ties
        }
        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await b.Caseworker.GetFromJsonAsync<JsonObject>($"/api/v1/referrals?box=inbox&limit=40{(cursor is null ? "" : "&cursor=" + cursor)}");
            seen.AddRange(page!["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()));
            cursor = page["nextCursor"]?.GetValue<string>();
            pages++;
        } while (cursor is not null);
        Assert.Equal(7, pages);
        Assert.Equal(250, seen.Count);
        Assert.Equal(sent.AsEnumerable().Reverse(), seen);
        var outbox = await a.Caseworker.GetFromJsonAsync<JsonObject>("/api/v1/referrals?box=outbox&limit=100");
        Assert.Equal(100, outbox!["items"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("box=inbox&limit=0")]
    [InlineData("box=inbox&limit=101")]
    [InlineData("box=inbox&cursor=not-a-cursor")]
    [InlineData("box=everything")]
    [InlineData("box=inbox&status=lost")]
    [InlineData("box=inbox&overdue=maybe")]
    [InlineData("box=inbox&limit=ten")]
    public async Task Bad_list_parameters_are_400_problems(string query)
    {
        var a = await _network.OrganisationAsync();
        var response = await a.Caseworker.GetAsync($"/api/v1/referrals?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Every_write_appends_an_audit_event_and_each_stream_chain_recomputes()
    {
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        var referral = await _network.SubmitAsync(a, b);
        await using var connection = await fixture.OpenAsync();
        var events = (await connection.QueryAsync<AuditEventRow>("""
            SELECT global_seq AS GlobalSeq, stream_id AS StreamId, seq, occurred_at AS OccurredAt, principal_id AS PrincipalId,
                   organisation_id AS OrganisationId, role, type, data, prev_hash AS PrevHash, hash
            FROM audit_events ORDER BY stream_id, seq
            """)).ToList();
        Assert.Contains(events, e => e.StreamId == $"organisation/{a.Id}" && e.Type == "organisation.created");
        Assert.Contains(events, e => e.StreamId == $"organisation/{a.Id}" && e.Type == "api_key.created");
        Assert.Contains(events, e => e.StreamId == $"referral/{referral["id"]}" && e.Type == "referral.submitted");
        Assert.Contains(events, e => e.StreamId == $"person/{referral["person"]!["id"]}" && e.Type == "person.created");
        foreach (var stream in events.GroupBy(e => e.StreamId))
        {
            var previous = AuditChain.Genesis;
            var seq = 1L;
            foreach (var e in stream)
            {
                Assert.Equal(seq++, e.Seq);
                Assert.Equal(previous, e.PrevHash);
                Assert.Equal(e.Hash, AuditChain.Recompute(e));
                previous = e.Hash;
            }
            var head = await connection.QuerySingleAsync<(long Seq, string Hash)>("SELECT seq, hash FROM audit_stream_heads WHERE stream_id = @Id", new { Id = stream.Key });
            Assert.Equal((stream.Last().Seq, stream.Last().Hash), head);
        }
        // The submit's event names the actor and carries no identity or free text.
        var submitted = events.Single(e => e.Type == "referral.submitted" && e.StreamId == $"referral/{referral["id"]}");
        Assert.Equal("caseworker", submitted.Role);
        Assert.DoesNotContain("Amina", submitted.Data);
        Assert.DoesNotContain("asylum procedure", submitted.Data);
    }

    [Fact]
    public async Task A_tampered_event_no_longer_recomputes()
    {
        var a = await _network.OrganisationAsync();
        await using var connection = await fixture.OpenAsync();
        var e = await connection.QueryFirstAsync<AuditEventRow>("""
            SELECT global_seq AS GlobalSeq, stream_id AS StreamId, seq, occurred_at AS OccurredAt, principal_id AS PrincipalId,
                   organisation_id AS OrganisationId, role, type, data, prev_hash AS PrevHash, hash
            FROM audit_events WHERE stream_id = @Stream ORDER BY seq
            """, new { Stream = $"organisation/{a.Id}" });
        Assert.Equal(e.Hash, AuditChain.Recompute(e));
        Assert.NotEqual(e.Hash, AuditChain.Recompute(e with { Data = e.Data.Replace("ngo", "nGo") }));
        Assert.NotEqual(e.Hash, AuditChain.Recompute(e with { OccurredAt = e.OccurredAt.AddTicks(10) }));
    }
}

public sealed class ReferralBasicsTests_Sqlite(SqliteApiFixture fixture) : ReferralBasicsTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class ReferralBasicsTests_Postgres(PostgresApiFixture fixture) : ReferralBasicsTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class ReferralBasicsTests_SqlServer(SqlServerApiFixture fixture) : ReferralBasicsTests(fixture), IClassFixture<SqlServerApiFixture>;
