using System.Data.Common;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Api.Tests.Lifecycle;
using ReferralNetwork.Application.Features.Audit;
using ReferralNetwork.Infrastructure.Audit;

namespace ReferralNetwork.Api.Tests.Audit;

/// <summary>
/// Someone with write access to the database changes the audit trail behind the API's back; GET /audit/verify must
/// name the stream, the seq and the reason. Each test changes one thing and puts the tables back afterwards.
/// The tables auditors read (trail periods, duties, breaches) must agree with the referral's events; checkpoints
/// rolled back behind an anchor the auditor kept must fail verify against that anchor.
/// </summary>
public abstract class AuditTamperTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    /// <summary>An organisation stream of four events (created, three keys), sealed by a checkpoint.</summary>
    private async Task<(string Stream, HttpClient Auditor)> SealedStreamAsync()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        // organisation.created, then api_key.created for its first org_admin (by the network admin), its caseworker and a supervisor.
        var organisation = await _network.OrganisationAsync();
        await _network.KeyAsync(organisation.Id, "supervisor");
        var stream = $"organisation/{organisation.Id}";
        await using (var connection = await fixture.OpenAsync())
            Assert.Equal(4, await connection.ExecuteScalarAsync<long>("SELECT seq FROM audit_stream_heads WHERE stream_id = @stream", new { stream }));
        await AuditTestKit.CheckpointAsync(fixture);
        return (stream, auditor);
    }

    /// <param name="anchor">A checkpoint the auditor kept: every verify of the test is made against it.</param>
    private async Task<JsonObject> TamperedAsync(HttpClient auditor, Func<DbConnection, Task> tamper, (long, string)? anchor = null)
    {
        var before = await AuditTestKit.VerifyAsync(auditor, everyRoot: true, anchor);
        Assert.True(before["ok"]!.GetValue<bool>(), $"the untouched trail must verify: {before.ToJsonString()}");
        JsonObject report;
        await using (await AuditTablesBackup.TakeAsync(fixture))
        {
            await using (var connection = await fixture.OpenAsync()) await tamper(connection);
            report = await AuditTestKit.VerifyAsync(auditor, anchor: anchor);
        }
        var restored = await AuditTestKit.VerifyAsync(auditor, anchor: anchor);
        Assert.True(restored["ok"]!.GetValue<bool>(), $"with the tables restored the trail verifies again: {restored.ToJsonString()}");
        Assert.False(report["ok"]!.GetValue<bool>());
        return report;
    }

    private static void AssertBroken(JsonObject report, string reason, string? stream, long? seq, long? checkpoint = null)
    {
        var first = report["firstBroken"]!;
        Assert.True(reason == first["reason"]!.GetValue<string>(), report.ToJsonString());
        Assert.Equal(stream, first["streamId"]?.GetValue<string>());
        Assert.Equal(seq, first["seq"]?.GetValue<long>());
        if (checkpoint is not null) Assert.Equal(checkpoint, first["checkpoint"]?.GetValue<long>());
        Assert.False(string.IsNullOrWhiteSpace(first["detail"]?.GetValue<string>()));
    }

    [Fact]
    public async Task An_untouched_trail_verifies_with_every_root_recomputed()
    {
        var (_, auditor) = await SealedStreamAsync();
        var a = await _network.OrganisationAsync();
        await _network.SubmitAsync(a, await _network.OrganisationAsync());
        await AuditTestKit.CheckpointAsync(fixture);
        var report = await AuditTestKit.VerifyAsync(auditor, everyRoot: true);
        Assert.True(report["ok"]!.GetValue<bool>(), report.ToJsonString());
        Assert.Null(report["firstBroken"]);
        Assert.Empty(report["problems"]!.AsArray());
        await using var connection = await fixture.OpenAsync();
        Assert.Equal(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events"), report["eventsChecked"]!.GetValue<long>());
        Assert.Equal(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_stream_heads"), report["streamsChecked"]!.GetValue<long>());
        Assert.Equal(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_checkpoints"), report["checkpointsChecked"]!.GetValue<long>());
    }

    [Fact]
    public async Task Changing_one_byte_of_an_events_data_is_a_hash_mismatch_at_that_seq()
    {
        var (stream, auditor) = await SealedStreamAsync();
        var report = await TamperedAsync(auditor, async c =>
        {
            var data = await c.ExecuteScalarAsync<string>("SELECT data FROM audit_events WHERE stream_id = @stream AND seq = 2", new { stream });
            var at = data!.IndexOf("org_admin", StringComparison.Ordinal);
            Assert.True(at >= 0, data);
            var changed = data[..at] + "C" + data[(at + 1)..];
            await c.ExecuteAsync("UPDATE audit_events SET data = @changed WHERE stream_id = @stream AND seq = 2", new { changed, stream });
        });
        AssertBroken(report, AuditBreakReasons.HashMismatch, stream, 2);
        Assert.Single(report["problems"]!.AsArray());
    }

    [Fact]
    public async Task Deleting_a_middle_event_is_a_seq_gap()
    {
        var (stream, auditor) = await SealedStreamAsync();
        var report = await TamperedAsync(auditor, c => c.ExecuteAsync("DELETE FROM audit_events WHERE stream_id = @stream AND seq = 2", new { stream }));
        AssertBroken(report, AuditBreakReasons.SeqGap, stream, 2);
    }

    [Fact]
    public async Task Deleting_the_newest_event_of_a_stream_is_a_head_mismatch()
    {
        var (stream, auditor) = await SealedStreamAsync();
        var report = await TamperedAsync(auditor, c => c.ExecuteAsync("DELETE FROM audit_events WHERE stream_id = @stream AND seq = 4", new { stream }));
        AssertBroken(report, AuditBreakReasons.HeadMismatch, stream, 4);
    }

    [Fact]
    public async Task Deleting_a_head_row_is_a_head_mismatch()
    {
        var (stream, auditor) = await SealedStreamAsync();
        var report = await TamperedAsync(auditor, c => c.ExecuteAsync("DELETE FROM audit_stream_heads WHERE stream_id = @stream", new { stream }));
        AssertBroken(report, AuditBreakReasons.HeadMismatch, stream, 4);
    }

    [Fact]
    public async Task Deleting_a_stream_s_events_but_not_its_head_is_a_missing_stream()
    {
        var (stream, auditor) = await SealedStreamAsync();
        var report = await TamperedAsync(auditor, c => c.ExecuteAsync("DELETE FROM audit_events WHERE stream_id = @stream", new { stream }));
        AssertBroken(report, AuditBreakReasons.MissingStream, stream, 4);
        Assert.Single(report["problems"]!.AsArray());
    }

    [Fact]
    public async Task Deleting_the_newest_event_and_rewinding_the_head_is_caught_by_the_checkpoint()
    {
        var (stream, auditor) = await SealedStreamAsync();
        var report = await TamperedAsync(auditor, async c =>
        {
            await c.ExecuteAsync("DELETE FROM audit_events WHERE stream_id = @stream AND seq = 4", new { stream });
            await c.ExecuteAsync("""
                UPDATE audit_stream_heads SET seq = 3, hash = (SELECT e.hash FROM audit_events e WHERE e.stream_id = @stream AND e.seq = 3)
                WHERE stream_id = @stream
                """, new { stream });
            await Assert.ThrowsAsync<InvalidOperationException>(() => AuditTestKit.CheckpointAsync(fixture));
        });
        AssertBroken(report, AuditBreakReasons.CheckpointInconsistent, stream, 4);
    }

    [Fact]
    public async Task Swapping_two_seqs_breaks_the_prev_hash_link()
    {
        var (stream, auditor) = await SealedStreamAsync();
        var report = await TamperedAsync(auditor, async c =>
        {
            await c.ExecuteAsync("UPDATE audit_events SET seq = -2 WHERE stream_id = @stream AND seq = 2", new { stream });
            await c.ExecuteAsync("UPDATE audit_events SET seq = 2 WHERE stream_id = @stream AND seq = 3", new { stream });
            await c.ExecuteAsync("UPDATE audit_events SET seq = 3 WHERE stream_id = @stream AND seq = -2", new { stream });
        });
        AssertBroken(report, AuditBreakReasons.PrevHashMismatch, stream, 2);
    }

    [Fact]
    public async Task Deleting_a_whole_sealed_stream_is_a_missing_stream()
    {
        var (stream, auditor) = await SealedStreamAsync();
        var report = await TamperedAsync(auditor, async c =>
        {
            await c.ExecuteAsync("DELETE FROM audit_events WHERE stream_id = @stream", new { stream });
            await c.ExecuteAsync("DELETE FROM audit_stream_heads WHERE stream_id = @stream", new { stream });
            // The checkpointer will not seal the shortened history as if it were the truth.
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => AuditTestKit.CheckpointAsync(fixture));
            Assert.Contains(stream, refused.Message);
        });
        AssertBroken(report, AuditBreakReasons.MissingStream, stream, 4);
        Assert.Single(report["problems"]!.AsArray());
    }

    [Fact]
    public async Task Rewriting_a_sealed_stream_with_recomputed_hashes_is_caught_by_the_checkpoint()
    {
        var (stream, auditor) = await SealedStreamAsync();
        var report = await TamperedAsync(auditor, async c =>
        {
            // A careful forger: alters event 3 and recomputes every hash after it and the head, so the chain itself verifies.
            var events = (await c.QueryAsync<AuditEventRow>("""
                SELECT stream_id AS StreamId, seq, occurred_at AS OccurredAt, principal_id AS PrincipalId, organisation_id AS OrganisationId,
                       role, type, data, prev_hash AS PrevHash, hash
                FROM audit_events WHERE stream_id = @stream AND seq >= 3 ORDER BY seq
                """, new { stream })).ToList();
            var prev = events[0].PrevHash;
            foreach (var e in events)
            {
                var forged = e with { PrevHash = prev, Data = e.Seq == 3 ? e.Data.Replace("caseworker", "supervisor") : e.Data };
                var hash = AuditChain.Recompute(forged);
                await c.ExecuteAsync("UPDATE audit_events SET data = @Data, prev_hash = @PrevHash, hash = @hash WHERE stream_id = @StreamId AND seq = @Seq",
                    new { forged.Data, forged.PrevHash, hash, forged.StreamId, forged.Seq });
                prev = hash;
            }
            await c.ExecuteAsync("UPDATE audit_stream_heads SET hash = @prev WHERE stream_id = @stream", new { prev, stream });
        });
        // The checkpoint sealed the head (seq 4), not every event: the rewrite shows where the sealed hash no longer matches.
        var first = report["firstBroken"]!;
        Assert.Equal(AuditBreakReasons.CheckpointInconsistent, first["reason"]!.GetValue<string>());
        Assert.Equal(stream, first["streamId"]!.GetValue<string>());
        Assert.Equal(4, first["seq"]!.GetValue<long>());
        Assert.NotNull(first["checkpoint"]);
    }

    [Fact]
    public async Task Altering_a_checkpoints_root_invalidates_its_signature()
    {
        var (_, auditor) = await SealedStreamAsync();
        var latest = (await AuditTestKit.CheckpointAsync(fixture))!;
        var report = await TamperedAsync(auditor, c => c.ExecuteAsync("UPDATE audit_checkpoints SET root_hash = @root WHERE sequence = @Sequence",
            new { root = new string('a', 64), latest.Sequence }));
        AssertBroken(report, AuditBreakReasons.CheckpointSignatureInvalid, null, null, latest.Sequence);
    }

    [Fact]
    public async Task Altering_a_checkpoints_signature_is_reported()
    {
        var (_, auditor) = await SealedStreamAsync();
        var latest = (await AuditTestKit.CheckpointAsync(fixture))!;
        var signature = Convert.FromBase64String(latest.Signature);
        signature[10] ^= 0x01;
        var report = await TamperedAsync(auditor, c => c.ExecuteAsync("UPDATE audit_checkpoints SET signature = @forged WHERE sequence = @Sequence",
            new { forged = Convert.ToBase64String(signature), latest.Sequence }));
        AssertBroken(report, AuditBreakReasons.CheckpointSignatureInvalid, null, null, latest.Sequence);
    }

    [Fact]
    public async Task Deleting_a_checkpoint_in_the_middle_is_reported_at_its_successor()
    {
        var (_, auditor) = await SealedStreamAsync();
        await _network.OrganisationAsync();
        var middle = (await AuditTestKit.CheckpointAsync(fixture))!;
        await _network.OrganisationAsync();
        var last = (await AuditTestKit.CheckpointAsync(fixture))!;
        Assert.Equal(middle.Sequence + 1, last.Sequence);
        var report = await TamperedAsync(auditor, async c =>
        {
            await c.ExecuteAsync("DELETE FROM audit_checkpoint_heads WHERE checkpoint_sequence = @Sequence", new { middle.Sequence });
            await c.ExecuteAsync("DELETE FROM audit_checkpoints WHERE sequence = @Sequence", new { middle.Sequence });
        });
        AssertBroken(report, AuditBreakReasons.CheckpointInconsistent, null, null, last.Sequence);
    }

    [Fact]
    public async Task A_validly_signed_checkpoint_that_shrinks_the_tree_is_reported()
    {
        var (_, auditor) = await SealedStreamAsync();
        var latest = (await AuditTestKit.CheckpointAsync(fixture))!;
        // Someone holding the signing key seals a smaller tree: the signature verifies, the history does not.
        var keys = fixture.Factory.Services.GetRequiredService<CheckpointKeys>();
        var statement = new CheckpointStatement(latest.Sequence + 1, latest.TreeSize - 1, latest.EventCount, latest.RootHash, latest.CreatedAt, keys.KeyId,
            latest.Sequence, latest.RootHash);
        var report = await TamperedAsync(auditor, c => c.ExecuteAsync("""
            INSERT INTO audit_checkpoints (sequence, tree_size, event_count, root_hash, created_at, key_id, signature, previous_sequence, previous_root_hash)
            VALUES (@Sequence, @TreeSize, @EventCount, @RootHash, @CreatedAt, @KeyId, @Signature, @PreviousSequence, @PreviousRootHash)
            """, new
        {
            statement.Sequence, statement.TreeSize, statement.EventCount, statement.RootHash, statement.CreatedAt, statement.KeyId,
            Signature = keys.Sign(statement.ToBytes()), statement.PreviousSequence, statement.PreviousRootHash,
        }));
        AssertBroken(report, AuditBreakReasons.CheckpointTreeShrank, null, null, latest.Sequence + 1);
    }

    // ---- the tables auditors read are projections of the events ----

    /// <summary>
    /// A referral under a protocol with second-scale deadlines whose receiver missed the acknowledge deadline (2 s),
    /// then accepted it within the decide deadline (5 s): two trail periods, three duties (acknowledge breached and
    /// closed late, decide met, follow-up open) and one breach. Sealed by a checkpoint.
    /// </summary>
    private async Task<(Guid Id, TestOrganisation Referrer, TestOrganisation Receiver, HttpClient Auditor)> BreachedReferralAsync()
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        var protocol = await AuditTestKit.FastProtocolAsync(fixture);
        var referrer = await _network.OrganisationAsync("ngo");
        var receiver = await _network.OrganisationAsync("ngo");
        var id = LifecycleApi.IdOf(await _network.SubmitAsync(referrer, receiver, new
        {
            receiverOrganisationId = receiver.Id, services = new[] { "legal_aid" }, urgency = "urgent", reason = "Needs advice on the asylum procedure",
            person = TestNetwork.Person(), consent = new { givenBy = "person", method = "written" }, protocolCode = protocol,
        }));
        fixture.Time.Advance(TimeSpan.FromSeconds(3));
        await AuditTestKit.RunDeadlineMonitorAsync(fixture); // other tests' referrals of this class may breach too
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        await receiver.Caseworker.MoveAsync(id, "accept");
        await AuditTestKit.CheckpointAsync(fixture);
        await using var connection = await fixture.OpenAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM responsibility_periods WHERE referral_id = @id", new { id }));
        Assert.Equal(3, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM referral_duties WHERE referral_id = @id", new { id }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM deadline_breaches WHERE referral_id = @id", new { id }));
        return (id, referrer, receiver, auditor);
    }

    /// <summary>The report's only problem is one projection_mismatch of the referral whose detail has every part given.</summary>
    private static void AssertProjectionMismatch(JsonObject report, Guid referral, params string[] detail)
    {
        AssertBroken(report, AuditBreakReasons.ProjectionMismatch, $"referral/{referral}", report["firstBroken"]!["seq"]?.GetValue<long>());
        var problem = Assert.Single(report["problems"]!.AsArray())!;
        foreach (var part in detail) Assert.Contains(part, problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_untouched_referral_replays_into_its_trail_duties_and_breaches()
    {
        var (_, _, _, auditor) = await BreachedReferralAsync();
        var report = await AuditTestKit.VerifyAsync(auditor, everyRoot: true);
        Assert.True(report["ok"]!.GetValue<bool>(), report.ToJsonString());
        await using var connection = await fixture.OpenAsync();
        Assert.Equal(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM referrals"), report["referralsReplayed"]!.GetValue<long>());
    }

    [Fact]
    public async Task Editing_a_trail_period_is_a_projection_mismatch_naming_the_referral_the_period_and_the_field()
    {
        var (id, _, receiver, auditor) = await BreachedReferralAsync();
        var report = await TamperedAsync(auditor, async c =>
        {
            // The forgery of the issue: the receiver made responsible from submission, so the missed acknowledgement looks like nobody's.
            await c.ExecuteAsync("UPDATE responsibility_periods SET organisation_id = @Receiver WHERE referral_id = @id AND seq = 1", new { Receiver = receiver.Id, id });
            var trail = await AuditTestKit.GetJsonAsync(auditor, $"/api/v1/audit/referrals/{id}/responsibility");
            Assert.Equal(receiver.Id, trail["periods"]![0]!["organisationId"]!.GetValue<Guid>()); // the view shows the forgery; verify must not pass it
        });
        AssertProjectionMismatch(report, id, "responsibility_periods seq 1", "organisation_id", receiver.Id.ToString());
        Assert.Equal(3, report["firstBroken"]!["seq"]!.GetValue<long>()); // the acceptance (after submission and the missed deadline) closed the period
    }

    [Fact]
    public async Task Shifting_when_a_period_ended_is_a_projection_mismatch()
    {
        var (id, _, _, auditor) = await BreachedReferralAsync();
        var report = await TamperedAsync(auditor, c => c.ExecuteAsync(
            "UPDATE responsibility_periods SET until_at = from_at WHERE referral_id = @id AND seq = 1", new { id }));
        AssertProjectionMismatch(report, id, "responsibility_periods seq 1", "until_at");
    }

    [Fact]
    public async Task Deleting_a_breach_is_a_projection_mismatch()
    {
        var (id, _, _, auditor) = await BreachedReferralAsync();
        var report = await TamperedAsync(auditor, async c =>
        {
            await c.ExecuteAsync("DELETE FROM deadline_breaches WHERE referral_id = @id", new { id });
            Assert.Empty((await AuditTestKit.GetJsonAsync(auditor, $"/api/v1/audit/deadline-breaches?referralId={id}"))["items"]!.AsArray());
        });
        AssertProjectionMismatch(report, id, "deadline_breaches deadline acknowledge is missing");
    }

    [Fact]
    public async Task Deleting_a_duty_is_a_projection_mismatch()
    {
        var (id, _, _, auditor) = await BreachedReferralAsync();
        var report = await TamperedAsync(auditor, c => c.ExecuteAsync("DELETE FROM referral_duties WHERE referral_id = @id AND deadline = 'follow_up'", new { id }));
        AssertProjectionMismatch(report, id, "referral_duties deadline follow_up is missing");
    }

    [Fact]
    public async Task A_breach_no_event_recorded_is_a_projection_mismatch()
    {
        var (id, referrer, _, auditor) = await BreachedReferralAsync();
        var report = await TamperedAsync(auditor, c => c.ExecuteAsync("""
            INSERT INTO deadline_breaches (referral_id, deadline, holder_organisation_id, responsible_organisation_id, due_at, detected_at, acted_at, protocol_code, protocol_version)
            SELECT referral_id, 'decide', holder_organisation_id, @Referrer, due_at, detected_at, acted_at, protocol_code, protocol_version
            FROM deadline_breaches WHERE referral_id = @id
            """, new { Referrer = referrer.Id, id }));
        AssertProjectionMismatch(report, id, "deadline_breaches deadline decide is in the table, but no event of the stream made it");
        Assert.Null(report["firstBroken"]!["seq"]);
    }

    // ---- an anchor kept outside the database ----

    [Fact]
    public async Task Rolling_checkpoints_back_fails_verify_against_the_anchor_the_auditor_kept()
    {
        var (_, auditor) = await SealedStreamAsync();
        await _network.OrganisationAsync();
        await AuditTestKit.CheckpointAsync(fixture);
        await _network.OrganisationAsync();
        var anchor = AuditTestKit.AnchorOf(await AuditTestKit.VerifyAsync(auditor));
        Assert.True(anchor.Checkpoint >= 2);

        JsonObject withoutAnchor = null!;
        var report = await TamperedAsync(auditor, async c =>
        {
            await AuditTestKit.CheckpointAsync(fixture); // the newest one, sealing the last organisation
            var newest = await c.ExecuteScalarAsync<long>("SELECT MAX(sequence) FROM audit_checkpoints");
            await c.ExecuteAsync("DELETE FROM audit_checkpoint_heads WHERE checkpoint_sequence >= @From", new { From = anchor.Checkpoint - 1 });
            await c.ExecuteAsync("DELETE FROM audit_checkpoints WHERE sequence >= @From", new { From = anchor.Checkpoint - 1 });
            Assert.True(newest > anchor.Checkpoint);
            // Without the anchor the rolled-back database is self-consistent: this is what the anchor is for.
            withoutAnchor = await AuditTestKit.VerifyAsync(auditor);
        }, anchor);
        Assert.True(withoutAnchor["ok"]!.GetValue<bool>(), withoutAnchor.ToJsonString());
        AssertBroken(report, AuditBreakReasons.AnchorMismatch, null, null, anchor.Checkpoint);
        Assert.Contains("rolled back", report["firstBroken"]!["detail"]!.GetValue<string>());
        Assert.Single(report["problems"]!.AsArray());
        Assert.Equal(anchor.Checkpoint, report["anchor"]!["checkpoint"]!.GetValue<long>());
        Assert.False(report["anchor"]!["ok"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Rewriting_an_event_sealed_only_by_a_deleted_checkpoint_is_caught_by_the_anchor_even_after_resealing()
    {
        var (stream, auditor) = await SealedStreamAsync();
        var organisation = Guid.Parse(stream["organisation/".Length..]);
        await _network.KeyAsync(organisation, "supervisor"); // seq 5, sealed only by the next checkpoint
        var sealing = (await AuditTestKit.CheckpointAsync(fixture))!;
        var anchor = AuditTestKit.AnchorOf(await AuditTestKit.VerifyAsync(auditor));
        Assert.Equal(sealing.Sequence, anchor.Checkpoint);

        JsonObject withoutAnchor = null!;
        var report = await TamperedAsync(auditor, async c =>
        {
            await c.ExecuteAsync("DELETE FROM audit_checkpoint_heads WHERE checkpoint_sequence = @Sequence", new { sealing.Sequence });
            await c.ExecuteAsync("DELETE FROM audit_checkpoints WHERE sequence = @Sequence", new { sealing.Sequence });
            var e = await c.QuerySingleAsync<AuditEventRow>("""
                SELECT stream_id AS StreamId, seq, occurred_at AS OccurredAt, principal_id AS PrincipalId, organisation_id AS OrganisationId,
                       role, type, data, prev_hash AS PrevHash, hash
                FROM audit_events WHERE stream_id = @stream AND seq = 5
                """, new { stream });
            var forged = e with { Data = e.Data.Replace("supervisor", "caseworker") };
            Assert.NotEqual(e.Data, forged.Data);
            var hash = AuditChain.Recompute(forged);
            await c.ExecuteAsync("UPDATE audit_events SET data = @Data, hash = @hash WHERE stream_id = @StreamId AND seq = 5", new { forged.Data, hash, forged.StreamId });
            await c.ExecuteAsync("UPDATE audit_stream_heads SET hash = @hash WHERE stream_id = @stream", new { hash, stream });
            // The checkpoint worker seals the forged history under the same sequence, with a valid signature.
            Assert.Equal(sealing.Sequence, (await AuditTestKit.CheckpointAsync(fixture))!.Sequence);
            withoutAnchor = await AuditTestKit.VerifyAsync(auditor, everyRoot: true);
        }, anchor);
        Assert.True(withoutAnchor["ok"]!.GetValue<bool>(), withoutAnchor.ToJsonString());
        AssertBroken(report, AuditBreakReasons.AnchorMismatch, null, null, anchor.Checkpoint);
        Assert.Contains($"not the anchored {anchor.Root}", report["firstBroken"]!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rewriting_the_heads_an_anchored_checkpoint_sealed_is_caught_by_recomputing_its_root()
    {
        var (stream, auditor) = await SealedStreamAsync();
        var anchor = AuditTestKit.AnchorOf(await AuditTestKit.VerifyAsync(auditor));
        await _network.OrganisationAsync();
        await AuditTestKit.CheckpointAsync(fixture);

        var report = await TamperedAsync(auditor, c => c.ExecuteAsync(
            "UPDATE audit_checkpoint_heads SET seq = 3, hash = (SELECT e.hash FROM audit_events e WHERE e.stream_id = @stream AND e.seq = 3) " +
            "WHERE checkpoint_sequence = @Checkpoint AND stream_id = @stream", new { anchor.Checkpoint, stream }), anchor);
        Assert.False(report["anchor"]!["ok"]!.GetValue<bool>());
        Assert.Contains("its sealed heads hash to", report["anchor"]!["detail"]!.GetValue<string>());
        Assert.Contains(report["problems"]!.AsArray(), p => p!["reason"]!.GetValue<string>() == AuditBreakReasons.AnchorMismatch);
    }
}

public sealed class AuditTamperTests_Sqlite(SqliteApiFixture fixture) : AuditTamperTests(fixture), IClassFixture<SqliteApiFixture>
{
    private readonly TestNetwork _network = new(fixture);

    /// <summary>
    /// SQLite stores any value in any column, so a forger can leave a time that is no time or an id that is no id —
    /// PostgreSQL and SQL Server refuse such values, which is why this runs on SQLite only. Verify must report it, never
    /// answer 500.
    /// </summary>
    [Theory]
    [InlineData("UPDATE audit_events SET occurred_at = 'yesterday' WHERE global_seq = (SELECT MAX(global_seq) FROM audit_events)", "audit_events")]
    [InlineData("UPDATE audit_events SET principal_id = 'not-an-id' WHERE global_seq = (SELECT MAX(global_seq) FROM audit_events)", "audit_events")]
    [InlineData("UPDATE referral_duties SET due_at = 'soon' WHERE rowid = (SELECT MAX(rowid) FROM referral_duties)", "referral_duties")]
    [InlineData("UPDATE audit_checkpoints SET created_at = 'never' WHERE sequence = (SELECT MAX(sequence) FROM audit_checkpoints)", "audit_checkpoints")]
    public async Task A_value_no_column_of_its_type_can_hold_is_an_unreadable_row_not_a_500(string tamper, string table)
    {
        var auditor = await AuditTestKit.AuditorAsync(fixture, _network);
        await _network.SubmitAsync(await _network.OrganisationAsync(), await _network.OrganisationAsync());
        await AuditTestKit.CheckpointAsync(fixture);
        Assert.True((await AuditTestKit.VerifyAsync(auditor))["ok"]!.GetValue<bool>());
        JsonObject report;
        await using (await AuditTablesBackup.TakeAsync(fixture))
        {
            await using (var connection = await fixture.OpenAsync()) Assert.Equal(1, await connection.ExecuteAsync(tamper));
            report = await AuditTestKit.VerifyAsync(auditor); // asserts 200 itself
        }
        Assert.False(report["ok"]!.GetValue<bool>(), report.ToJsonString());
        var problem = Assert.Single(report["problems"]!.AsArray(), p => p!["reason"]!.GetValue<string>() == AuditBreakReasons.UnreadableRow)!;
        Assert.Contains(table, problem["detail"]!.GetValue<string>());
        Assert.True((await AuditTestKit.VerifyAsync(auditor))["ok"]!.GetValue<bool>(), "restored, the trail verifies again");
    }
}

[Trait("Database", "Postgres")]
public sealed class AuditTamperTests_Postgres(PostgresApiFixture fixture) : AuditTamperTests(fixture), IClassFixture<PostgresApiFixture>;

/// <summary>Opt-in: runs only when REFERRALNET_TEST_SQLSERVER names a server (scripts/test.sh filters it out otherwise).</summary>
[Trait("Database", "SqlServer")]
public sealed class AuditTamperTests_SqlServer(SqlServerApiFixture fixture) : AuditTamperTests(fixture), IClassFixture<SqlServerApiFixture>;
