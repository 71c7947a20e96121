using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Lifecycle;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Infrastructure.Audit;

namespace ReferralNetwork.Api.Tests.Audit;

public abstract class AuditEndpointsTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);
    private static readonly string Zeros = new('0', 64);

    [Fact]
    public async Task Public_key_is_a_pem_whose_sha256_is_the_key_id_and_verifies_checkpoints()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var key = await AuditTestKit.GetJsonAsync(auditor, "/api/v1/audit/public-key");
        Assert.Equal("ECDSA_P256_SHA256", key["algorithm"]!.GetValue<string>());
        Assert.Equal("der", key["signatureFormat"]!.GetValue<string>());
        var pem = key["publicKeyPem"]!.GetValue<string>();
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", pem);
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(pem);
        Assert.Equal(256, ecdsa.KeySize);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(ecdsa.ExportSubjectPublicKeyInfo())), key["keyId"]!.GetValue<string>());

        await _network.OrganisationAsync();
        var checkpoint = (await AuditTestKit.CheckpointAsync(fixture))!;
        Assert.Equal(key["keyId"]!.GetValue<string>(), checkpoint.KeyId);
        Assert.True(ecdsa.VerifyData(CheckpointStatement.Of(checkpoint).ToBytes(), Convert.FromBase64String(checkpoint.Signature), HashAlgorithmName.SHA256,
            DSASignatureFormat.Rfc3279DerSequence));
        // The network admin may fetch it too; the private key is nowhere in the database.
        Assert.Equal(HttpStatusCode.OK, (await fixture.Admin().GetAsync("/api/v1/audit/public-key")).StatusCode);
    }

    [Fact]
    public async Task Checkpoints_chain_and_are_skipped_when_nothing_changed()
    {
        await _network.OrganisationAsync();
        var writer = fixture.Factory.Services.GetRequiredService<CheckpointWriter>();
        var first = await writer.WriteAsync(CancellationToken.None);
        var again = await writer.WriteAsync(CancellationToken.None);
        Assert.False(again.Written);
        Assert.Equal(first.Checkpoint!.Sequence, again.Checkpoint!.Sequence);
        await _network.OrganisationAsync();
        var next = await writer.WriteAsync(CancellationToken.None);
        Assert.True(next.Written);
        Assert.Equal(first.Checkpoint.Sequence + 1, next.Checkpoint!.Sequence);
        Assert.Equal(first.Checkpoint.Sequence, next.Checkpoint.PreviousSequence);
        Assert.Equal(first.Checkpoint.RootHash, next.Checkpoint.PreviousRootHash);
        Assert.True(next.Checkpoint.TreeSize > first.Checkpoint.TreeSize);
        await using var connection = await fixture.OpenAsync();
        // Only the heads that moved are stored again: one new organisation stream (created + key) and the admin's.
        var stored = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_checkpoint_heads WHERE checkpoint_sequence = @Sequence", new { next.Checkpoint.Sequence });
        Assert.InRange(stored, 1, 3);
    }

    [Fact]
    public async Task Two_checkpoint_writers_sealing_at_once_never_fork()
    {
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        // Two "replicas": separate writers over the same database, racing while referrals are being submitted.
        var services = fixture.Factory.Services;
        var writers = new[] { ActivatorUtilities.CreateInstance<CheckpointWriter>(services), ActivatorUtilities.CreateInstance<CheckpointWriter>(services) };
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            await _network.SubmitAsync(a, b);
            await writers[i % 2].WriteAsync(CancellationToken.None);
            await writers[(i + 1) % 2].WriteAsync(CancellationToken.None);
        }));
        await using var connection = await fixture.OpenAsync();
        var chain = (await connection.QueryAsync<(long Sequence, long? Previous)>("SELECT sequence, previous_sequence FROM audit_checkpoints ORDER BY sequence")).ToList();
        Assert.Equal(Enumerable.Range(1, chain.Count).Select(i => (long)i), chain.Select(c => c.Sequence));
        Assert.All(chain, c => Assert.Equal(c.Sequence == 1 ? null : c.Sequence - 1, c.Previous));
        var report = await AuditTestKit.VerifyAsync(auditor, everyRoot: true);
        Assert.True(report["ok"]!.GetValue<bool>(), report.ToJsonString());
    }

    [Fact]
    public async Task Responsibility_trail_lists_every_period_oldest_first()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        var referral = await _network.SubmitAsync(a, b);
        var id = referral["id"]!.GetValue<Guid>();
        var submittedAt = referral["createdAt"]!.GetValue<DateTimeOffset>();

        var trail = await AuditTestKit.GetJsonAsync(auditor, $"/api/v1/audit/referrals/{id}/responsibility");
        Assert.Equal(a.Id, trail["responsibleOrganisationId"]!.GetValue<Guid>());
        var period = Assert.Single(trail["periods"]!.AsArray())!;
        Assert.Equal(a.Id, period["organisationId"]!.GetValue<Guid>());
        Assert.Equal(submittedAt, period["from"]!.GetValue<DateTimeOffset>());
        Assert.Null(period["until"]);
        Assert.Equal("submitted", period["basis"]!.GetValue<string>());
        Assert.Null(period["closedBasis"]);

        // The receiver accepts three hours later: the referrer's period closes, the receiver's opens. (Through the API:
        // rows written behind its back would be what verify reports as projection_mismatch.)
        fixture.Time.Advance(TimeSpan.FromHours(3));
        var acceptedAt = submittedAt.AddHours(3);
        await b.Caseworker.MoveAsync(id, "accept");
        var periods = (await AuditTestKit.GetJsonAsync(auditor, $"/api/v1/audit/referrals/{id}/responsibility"))["periods"]!.AsArray();
        Assert.Equal([a.Id, b.Id], periods.Select(p => p!["organisationId"]!.GetValue<Guid>()));
        Assert.Equal(acceptedAt, periods[0]!["until"]!.GetValue<DateTimeOffset>());
        Assert.Equal("accepted", periods[0]!["closedBasis"]!.GetValue<string>());
        Assert.Equal(acceptedAt, periods[1]!["from"]!.GetValue<DateTimeOffset>());

        Assert.Equal(HttpStatusCode.NotFound, (await auditor.GetAsync($"/api/v1/audit/referrals/{Guid.CreateVersion7()}/responsibility")).StatusCode);
    }

    [Fact]
    public async Task Referral_events_chain_from_a_zero_prev_hash_and_name_the_actor()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        var id = (await _network.SubmitAsync(a, b))["id"]!.GetValue<Guid>();
        var me = await AuditTestKit.GetJsonAsync(a.Caseworker, "/api/v1/me");

        var events = await AuditTestKit.GetJsonAsync(auditor, $"/api/v1/audit/referrals/{id}/events");
        Assert.Equal($"referral/{id}", events["streamId"]!.GetValue<string>());
        var submitted = Assert.Single(events["items"]!.AsArray())!;
        Assert.Equal(1, submitted["seq"]!.GetValue<long>());
        Assert.Equal("referral.submitted", submitted["type"]!.GetValue<string>());
        Assert.Equal(Zeros, submitted["prevHash"]!.GetValue<string>());
        Assert.Matches("^[0-9a-f]{64}$", submitted["hash"]!.GetValue<string>());
        Assert.Equal(a.Id, submitted["actor"]!["organisationId"]!.GetValue<Guid>());
        Assert.Equal(me["principalId"]!.GetValue<Guid>(), submitted["actor"]!["principalId"]!.GetValue<Guid>());
        Assert.Equal("caseworker", submitted["actor"]!["role"]!.GetValue<string>());
        Assert.Equal(id, submitted["data"]!["referralId"]!.GetValue<Guid>());
        Assert.Equal(HttpStatusCode.NotFound, (await auditor.GetAsync($"/api/v1/audit/referrals/{Guid.CreateVersion7()}/events")).StatusCode);
    }

    [Fact]
    public async Task Deadline_breaches_filter_and_page_each_breach_exactly_once()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var r = await _network.OrganisationAsync();
        var s = await _network.OrganisationAsync();
        var referrals = new List<Guid>();
        for (var i = 0; i < 6; i++) referrals.Add((await _network.SubmitAsync(r, s))["id"]!.GetValue<Guid>());
        // The rows below are written behind the API's back, with no event: removed at the end, pass or fail, so that verify
        // in the other tests of this class sees only what the events say.
        await using var forged = AuditTestKit.DeleteAtEnd(fixture, "deadline_breaches", referrals);
        var t0 = new DateTimeOffset(2030, 3, 1, 9, 0, 0, TimeSpan.Zero);
        var breaches = new (int Referral, string Deadline, DateTimeOffset Due, Guid Responsible, string Protocol)[]
        {
            (0, "acknowledge", t0, r.Id, "standard"), (0, "decide", t0, r.Id, "standard"), // two deadlines of one referral due at once
            (1, "acknowledge", t0, r.Id, "standard"),
            (2, "decide", t0.AddHours(1), s.Id, "standard"),
            (3, "follow_up", t0.AddHours(2), s.Id, "standard"),
            (4, "review", t0.AddDays(3), r.Id, "child-protection"),
            (5, "acknowledge", t0.AddDays(4), r.Id, "standard"), (5, "decide", t0.AddDays(4), r.Id, "standard"), (5, "review", t0.AddDays(4), r.Id, "standard"),
        };
        await using (var connection = await fixture.OpenAsync())
            foreach (var b in breaches)
                await connection.ExecuteAsync("""
                    INSERT INTO deadline_breaches (referral_id, deadline, due_at, detected_at, responsible_organisation_id, holder_organisation_id, acted_at,
                                                   protocol_code, protocol_version)
                    VALUES (@Id, @Deadline, @Due, @Detected, @Responsible, @Responsible, @Detected, @Protocol, 1)
                    """, new { Id = referrals[b.Referral], b.Deadline, b.Due, Detected = b.Due.AddMinutes(90), b.Responsible, b.Protocol });
        var expected = breaches.OrderBy(b => b.Due).ThenBy(b => referrals[b.Referral].ToString(), StringComparer.Ordinal).ThenBy(b => b.Deadline, StringComparer.Ordinal)
            .Select(b => $"{referrals[b.Referral]}/{b.Deadline}").ToList();
        const string period = "from=2030-03-01T00:00:00Z&to=2030-04-01T00:00:00Z";

        foreach (var limit in new[] { 1, 2, 4, 100 })
        {
            var all = await AuditTestKit.AllPagesAsync(auditor, $"/api/v1/audit/deadline-breaches?{period}", limit);
            Assert.Equal(expected, all.Select(b => $"{b["referralId"]}/{b["deadline"]}"));
        }
        var first = (await AuditTestKit.GetJsonAsync(auditor, $"/api/v1/audit/deadline-breaches?{period}&limit=1"))["items"]!.AsArray()[0]!;
        Assert.Equal(5400, first["lateBySeconds"]!.GetValue<long>());
        Assert.Equal("PT1H30M", first["lateBy"]!.GetValue<string>());
        Assert.Equal(t0, first["dueAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(t0.AddMinutes(90), first["detectedAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(r.Id, first["responsibleOrganisationId"]!.GetValue<Guid>());
        Assert.Equal(r.Id, first["holderOrganisationId"]!.GetValue<Guid>());
        Assert.False(first["open"]!.GetValue<bool>());

        async Task<int> CountAsync(string filter) =>
            (await AuditTestKit.AllPagesAsync(auditor, $"/api/v1/audit/deadline-breaches?{(filter.Contains("from=") || filter.Contains("to=") ? "" : period + "&")}{filter}", 100)).Count;
        Assert.Equal(2, await CountAsync($"organisationId={s.Id}"));
        Assert.Equal(7, await CountAsync($"organisationId={r.Id}"));
        Assert.Equal(1, await CountAsync("protocol=child-protection"));
        Assert.Equal(3, await CountAsync("deadline=acknowledge"));
        Assert.Equal(2, await CountAsync($"deadline=decide&organisationId={r.Id}"));
        Assert.Equal(3, await CountAsync("from=2030-03-01T00:00:00Z&to=2030-03-01T09:00:00.000001Z"));
        Assert.Equal(4, await CountAsync("from=2030-03-04T00:00:00Z&to=2030-04-01T00:00:00Z"));
        Assert.Equal(0, await CountAsync($"organisationId={Guid.CreateVersion7()}"));
    }

    [Fact]
    public async Task Activity_by_organisation_and_principal_pages_every_event_once_in_global_order()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        var started = fixture.Time.GetUtcNow();
        for (var i = 0; i < 5; i++) await _network.SubmitAsync(a, b);
        var principal = (await AuditTestKit.GetJsonAsync(a.Caseworker, "/api/v1/me"))["principalId"]!.GetValue<Guid>();

        var byOrganisation = await AuditTestKit.AllPagesAsync(auditor, $"/api/v1/audit/activity?organisationId={a.Id}", 3);
        Assert.Equal(11, byOrganisation.Count); // its org_admin creating its caseworker key, five referral.submitted, five person.created
        Assert.All(byOrganisation, e => Assert.Equal(a.Id, e["actor"]!["organisationId"]!.GetValue<Guid>()));
        var order = byOrganisation.Select(e => e["globalSeq"]!.GetValue<long>()).ToList();
        Assert.Equal(order.Order(), order);
        Assert.Equal(order.Count, order.Distinct().Count());

        Assert.Equal(10, (await AuditTestKit.AllPagesAsync(auditor, $"/api/v1/audit/activity?principalId={principal}", 4)).Count);
        Assert.Equal(5, (await AuditTestKit.AllPagesAsync(auditor, $"/api/v1/audit/activity?organisationId={a.Id}&type=referral.submitted", 100)).Count);
        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var from = Uri.EscapeDataString(fixture.Time.GetUtcNow().ToString("O"));
        await _network.SubmitAsync(a, b);
        Assert.Equal(2, (await AuditTestKit.AllPagesAsync(auditor, $"/api/v1/audit/activity?organisationId={a.Id}&from={from}", 100)).Count);
        var to = Uri.EscapeDataString(started.ToString("O"));
        Assert.Empty(await AuditTestKit.AllPagesAsync(auditor, $"/api/v1/audit/activity?organisationId={a.Id}&to={to}", 100));
    }

    [Fact]
    public async Task Personal_data_access_lists_who_read_an_identity_through_which_referral()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        var referral = await _network.SubmitAsync(a, b);
        var referralId = referral["id"]!.GetValue<Guid>();
        var personId = referral["person"]!["id"]!.GetValue<Guid>();
        await TestNetwork.Expect(await b.Caseworker.GetAsync($"/api/v1/persons/{personId}?referralId={referralId}"), HttpStatusCode.OK);
        await TestNetwork.Expect(await b.Caseworker.GetAsync($"/api/v1/persons/{personId}"), HttpStatusCode.OK);
        await TestNetwork.Expect(await a.Caseworker.GetAsync($"/api/v1/persons/{personId}"), HttpStatusCode.OK);

        var reads = await AuditTestKit.AllPagesAsync(auditor, $"/api/v1/audit/personal-data-access?personId={personId}", 2);
        Assert.Equal([b.Id, b.Id, a.Id], reads.Select(r => r["organisationId"]!.GetValue<Guid>()));
        Assert.All(reads, r => Assert.Equal(referralId, r["viaReferralId"]!.GetValue<Guid>()));
        Assert.All(reads, r => Assert.Equal("caseworker", r["role"]!.GetValue<string>()));
        Assert.All(reads, r => Assert.False(r["erased"]!.GetValue<bool>()));
        Assert.Equal([2L, 3L, 4L], reads.Select(r => r["seq"]!.GetValue<long>())); // seq 1 is person.created

        Assert.Equal(HttpStatusCode.NotFound, (await auditor.GetAsync($"/api/v1/audit/personal-data-access?personId={Guid.CreateVersion7()}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await auditor.GetAsync("/api/v1/audit/personal-data-access")).StatusCode);
    }

    [Fact]
    public async Task Export_is_ndjson_that_an_independent_verifier_accepts_whole_and_by_period()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var a = await _network.OrganisationAsync();
        var b = await _network.OrganisationAsync();
        await _network.SubmitAsync(a, b);
        await AuditTestKit.CheckpointAsync(fixture);
        fixture.Time.Advance(TimeSpan.FromMinutes(5));
        var middle = fixture.Time.GetUtcNow();
        await _network.SubmitAsync(b, a);
        await AuditTestKit.CheckpointAsync(fixture);
        fixture.Time.Advance(TimeSpan.FromMinutes(5));
        await _network.SubmitAsync(a, b);
        var pem = (await AuditTestKit.GetJsonAsync(auditor, "/api/v1/audit/public-key"))["publicKeyPem"]!.GetValue<string>();

        var response = await auditor.GetAsync("/api/v1/audit/export");
        await TestNetwork.Expect(response, HttpStatusCode.OK);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var whole = await response.Content.ReadAsStringAsync();
        var result = ExportVerifier.Verify(whole, pem);
        Assert.True(result.Ok, string.Join("\n", result.Problems));
        await using (var connection = await fixture.OpenAsync())
        {
            Assert.Equal(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events"), result.Events);
            Assert.Equal(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_checkpoints"), result.Checkpoints);
        }

        var from = Uri.EscapeDataString(middle.ToString("O"));
        var windowed = ExportVerifier.Verify(await auditor.GetStringAsync($"/api/v1/audit/export?from={from}"), pem);
        Assert.True(windowed.Ok, string.Join("\n", windowed.Problems));
        Assert.InRange(windowed.Events, 1, result.Events - 1);
        Assert.True(windowed.Checkpoints >= 1);

        // The verifier is not a rubber stamp: one changed character of an event, or of a signature, fails it.
        var lines = whole.Split('\n');
        var eventLine = Array.FindIndex(lines, l => l.Contains("\"kind\":\"event\"") && l.Contains("\"type\":\"referral.submitted\""));
        var altered = (string[])lines.Clone();
        altered[eventLine] = altered[eventLine].Replace("\"urgency\":\"urgent\"", "\"urgency\":\"routine\"");
        Assert.NotEqual(lines[eventLine], altered[eventLine]);
        Assert.False(ExportVerifier.Verify(string.Join('\n', altered), pem).Ok);
        var checkpointLine = Array.FindIndex(lines, l => l.Contains("\"kind\":\"checkpoint\""));
        altered = (string[])lines.Clone();
        altered[checkpointLine] = altered[checkpointLine].Replace("\"eventCount\":", "\"eventCount\":1");
        Assert.False(ExportVerifier.Verify(string.Join('\n', altered), pem).Ok);
        Assert.False(ExportVerifier.Verify(string.Join('\n', lines.Where((_, i) => i != eventLine)), pem).Ok);
    }

    [Theory]
    [InlineData("deadline-breaches?limit=0")]
    [InlineData("deadline-breaches?cursor=not-a-cursor")]
    [InlineData("deadline-breaches?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")]
    [InlineData("deadline-breaches?deadline=Acknowledge!")]
    [InlineData("deadline-breaches?organisationId=nope")]
    [InlineData("activity?limit=101")]
    [InlineData("activity?type=DROP TABLE")]
    [InlineData("activity?from=yesterday")]
    [InlineData("personal-data-access?personId=")]
    [InlineData("export?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z")]
    [InlineData("verify?everyRoot=maybe")]
    public async Task Bad_parameters_are_400_problems(string query)
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var response = await auditor.GetAsync($"/api/v1/audit/{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_cursor_from_another_list_is_400_not_a_wrong_page()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var foreign = new Cursor(DateTimeOffset.UtcNow, Guid.CreateVersion7()).Encode();
        Assert.Equal(HttpStatusCode.BadRequest, (await auditor.GetAsync($"/api/v1/audit/activity?cursor={foreign}")).StatusCode);
    }

    public static TheoryData<string> AuditUrls => new()
    {
        "public-key", "verify", $"referrals/{Guid.CreateVersion7()}/responsibility", $"referrals/{Guid.CreateVersion7()}/events", "deadline-breaches",
        "activity", $"personal-data-access?personId={Guid.CreateVersion7()}", "export",
    };

    [Theory]
    [MemberData(nameof(AuditUrls))]
    public async Task A_caseworker_gets_403_on_every_audit_endpoint(string url)
    {
        var organisation = await _network.OrganisationAsync();
        var response = await organisation.Caseworker.GetAsync($"/api/v1/audit/{url}");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Client().GetAsync($"/api/v1/audit/{url}")).StatusCode);
    }

    [Fact]
    public async Task The_network_admin_may_verify_and_read_the_key_but_not_the_trails()
    {
        var a = await _network.OrganisationAsync();
        var referral = (await _network.SubmitAsync(a, await _network.OrganisationAsync()))["id"]!.GetValue<Guid>();
        var admin = fixture.Admin();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/audit/public-key")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/audit/verify")).StatusCode);
        foreach (var url in new[] { $"referrals/{referral}/responsibility", $"referrals/{referral}/events", "deadline-breaches", "activity", "export" })
            Assert.Equal(HttpStatusCode.Forbidden, (await admin.GetAsync($"/api/v1/audit/{url}")).StatusCode);
    }

    [Fact]
    public async Task An_auditor_gets_403_on_referrals_and_persons()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var referral = await _network.SubmitAsync(await _network.OrganisationAsync(), await _network.OrganisationAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.GetAsync($"/api/v1/referrals/{referral["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.GetAsync($"/api/v1/persons/{referral["person"]!["id"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.GetAsync("/api/v1/referrals?box=inbox")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.PostAsJsonAsync("/api/v1/referrals", TestNetwork.Referral(Guid.CreateVersion7()))).StatusCode);
    }
}

public sealed class AuditEndpointsTests_Sqlite(SqliteApiFixture fixture) : AuditEndpointsTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class AuditEndpointsTests_Postgres(PostgresApiFixture fixture) : AuditEndpointsTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class AuditEndpointsTests_SqlServer(SqlServerApiFixture fixture) : AuditEndpointsTests(fixture), IClassFixture<SqlServerApiFixture>;
