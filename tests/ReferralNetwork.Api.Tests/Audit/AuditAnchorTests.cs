using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Api.Tests.Audit;

/// <summary>
/// GET /audit/verify?checkpoint=&amp;root=: an auditor copies a checkpoint's sequence and root from a verify that said
/// ok and checks the database against it later. (Rolled-back and rewritten checkpoints are in <see cref="AuditTamperTests"/>.)
/// </summary>
public abstract class AuditAnchorTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    private async Task<(HttpClient Auditor, (long Checkpoint, string Root) Anchor)> AnchoredAsync()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        await _network.OrganisationAsync();
        var sealedNow = (await AuditTestKit.CheckpointAsync(fixture))!;
        var report = await AuditTestKit.VerifyAsync(auditor);
        var anchor = AuditTestKit.AnchorOf(report);
        Assert.Equal((sealedNow.Sequence, sealedNow.RootHash), anchor);
        Assert.Null(report["anchor"]);
        return (auditor, anchor);
    }

    [Fact]
    public async Task An_anchor_the_database_still_holds_verifies_and_says_so()
    {
        var (auditor, anchor) = await AnchoredAsync();
        await _network.OrganisationAsync();
        await AuditTestKit.CheckpointAsync(fixture); // later checkpoints build on the anchored one

        foreach (var root in new[] { anchor.Root, anchor.Root.ToUpperInvariant() })
        {
            var report = await AuditTestKit.VerifyAsync(auditor, anchor: (anchor.Checkpoint, root));
            Assert.True(report["ok"]!.GetValue<bool>(), report.ToJsonString());
            Assert.Equal(anchor.Checkpoint, report["anchor"]!["checkpoint"]!.GetValue<long>());
            Assert.Equal(anchor.Root, report["anchor"]!["root"]!.GetValue<string>());
            Assert.True(report["anchor"]!["ok"]!.GetValue<bool>());
            Assert.False(string.IsNullOrWhiteSpace(report["anchor"]!["detail"]!.GetValue<string>()));
            Assert.True(report["latestCheckpoint"]!["checkpoint"]!.GetValue<long>() > anchor.Checkpoint);
        }
    }

    [Fact]
    public async Task Another_root_for_the_anchored_checkpoint_fails_with_anchor_mismatch()
    {
        var (auditor, anchor) = await AnchoredAsync();
        var other = (anchor.Root[0] == 'a' ? "b" : "a") + anchor.Root[1..];
        var report = await AuditTestKit.VerifyAsync(auditor, anchor: (anchor.Checkpoint, other));
        Assert.False(report["ok"]!.GetValue<bool>());
        var problem = Assert.Single(report["problems"]!.AsArray())!;
        Assert.Equal(AuditBreakReasons.AnchorMismatch, problem["reason"]!.GetValue<string>());
        Assert.Equal(anchor.Checkpoint, problem["checkpoint"]!.GetValue<long>());
        Assert.Contains(anchor.Root, problem["detail"]!.GetValue<string>());
        Assert.False(report["anchor"]!["ok"]!.GetValue<bool>());
    }

    [Fact]
    public async Task An_anchor_beyond_the_newest_checkpoint_fails_as_rolled_back()
    {
        var (auditor, anchor) = await AnchoredAsync();
        var report = await AuditTestKit.VerifyAsync(auditor, anchor: (anchor.Checkpoint + 5, anchor.Root));
        Assert.False(report["ok"]!.GetValue<bool>());
        Assert.Equal(AuditBreakReasons.AnchorMismatch, report["firstBroken"]!["reason"]!.GetValue<string>());
        Assert.Contains("is not in the database", report["firstBroken"]!["detail"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("checkpoint=1", "checkpoint")]
    [InlineData("root=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "checkpoint")]
    [InlineData("checkpoint=0&root=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "checkpoint")]
    [InlineData("checkpoint=1&root=0123456789abcdef", "root")]
    [InlineData("checkpoint=1&root=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", "root")]
    [InlineData("checkpoint=1&root=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", "root")]
    public async Task A_half_or_malformed_anchor_is_a_400_problem_naming_the_field(string query, string field)
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var response = await auditor.GetAsync($"/api/v1/audit/verify?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Contains(errors, e => string.Equals(e.Key, field, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_checkpoint_that_is_not_a_number_is_a_400_problem()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var response = await auditor.GetAsync($"/api/v1/audit/verify?checkpoint=latest&root={new string('a', 64)}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

public sealed class AuditAnchorTests_Sqlite(SqliteApiFixture fixture) : AuditAnchorTests(fixture), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class AuditAnchorTests_Postgres(PostgresApiFixture fixture) : AuditAnchorTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class AuditAnchorTests_SqlServer(SqlServerApiFixture fixture) : AuditAnchorTests(fixture), IClassFixture<SqlServerApiFixture>;
