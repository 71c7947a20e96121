using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Infrastructure.Audit;
using Xunit.Abstractions;
using ReferralNetwork.Application.Features.Audit;

namespace ReferralNetwork.Api.Tests.Audit;

/// <summary>
/// GET /audit/verify over 100,000 events in 10,000 streams, sealed by a checkpoint. Prints the time (run with
/// <c>--logger "console;verbosity=detailed"</c> to see it) and asserts only correctness: timing on a shared
/// two-core machine is a measurement, not a test.
/// </summary>
public abstract class AuditVerifyPerformanceTests(ApiFixture fixture, ITestOutputHelper output)
{
    private const int Streams = 10_000;
    private const int EventsPerStream = 10;
    private static readonly string[] Types = ["referral.submitted", "referral.received", "referral.accepted", "referral.started", "referral.on_hold",
        "referral.resumed", "referral.note_added", "deadline.missed", "referral.completed", "person.identity_read"];

    [Fact]
    public async Task Verify_over_100000_events_reports_ok_and_prints_its_speed()
    {
        var network = new TestNetwork(fixture);
        var auditor = await AuditTestKit.AuditorAsync(fixture, network);
        var generated = Stopwatch.StartNew();
        await InsertEventsAsync();
        output.WriteLine($"{fixture.Database.Provider}: generated and inserted {Streams * EventsPerStream:N0} events in {generated.ElapsedMilliseconds:N0} ms");
        var sealing = Stopwatch.StartNew();
        var checkpoint = await AuditTestKit.CheckpointAsync(fixture);
        output.WriteLine($"{fixture.Database.Provider}: checkpoint over {checkpoint!.TreeSize:N0} streams in {sealing.ElapsedMilliseconds:N0} ms");

        for (var run = 1; run <= 2; run++)
        {
            var watch = Stopwatch.StartNew();
            var report = await AuditTestKit.VerifyAsync(auditor);
            watch.Stop();
            Assert.True(report["ok"]!.GetValue<bool>(), report.ToJsonString());
            var events = report["eventsChecked"]!.GetValue<long>();
            Assert.True(events >= Streams * EventsPerStream);
            Assert.Equal(1, report["checkpointsChecked"]!.GetValue<long>());
            output.WriteLine($"{fixture.Database.Provider} run {run}: GET /audit/verify checked {events:N0} events, {report["streamsChecked"]} streams: " +
                $"{watch.ElapsedMilliseconds:N0} ms over HTTP, {report["elapsedMs"]} ms inside ({events * 1000.0 / Math.Max(1, report["elapsedMs"]!.GetValue<long>()):N0} events/s)");
        }

        // The share of the projection replay (every referral stream's events parsed and folded), measured alone.
        await using var connection = await fixture.OpenAsync();
        var replay = Stopwatch.StartNew();
        var referrals = await ProjectionVerifier.VerifyAsync(connection, problem => Assert.Fail(problem.Detail), CancellationToken.None);
        output.WriteLine($"{fixture.Database.Provider}: the projection replay of {referrals:N0} referral streams, alone (each run above includes it): {replay.ElapsedMilliseconds:N0} ms");
        Assert.Equal(Streams, referrals);
    }

    private async Task InsertEventsAsync()
    {
        var start = fixture.Time.GetUtcNow().AddDays(-30);
        await using var connection = await fixture.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        // SQLite binds parameters by name with a linear search, so long VALUES lists cost more than they save there.
        var batchRows = fixture.Database.Provider == "sqlite" ? 1 : 100;
        var rows = new List<AuditEventRow>(batchRows);
        var heads = new List<(string Stream, long Seq, string Hash)>(batchRows);
        for (var s = 0; s < Streams; s++)
        {
            var referral = Guid.CreateVersion7();
            var organisation = Guid.CreateVersion7();
            var principal = Guid.CreateVersion7();
            var stream = $"referral/{referral}";
            var prev = AuditChain.Genesis;
            for (var seq = 1; seq <= EventsPerStream; seq++)
            {
                var at = start.AddMilliseconds(s * EventsPerStream + seq).AddTicks(s % 10 * 10);
                var data = new JsonObject
                {
                    ["referralId"] = referral.ToString("D"), ["organisationId"] = organisation.ToString("D"), ["status"] = Types[seq - 1].Split('.')[1],
                    ["protocolVersion"] = 1, ["lateBySeconds"] = seq % 3 == 0 ? seq * 60 : null,
                };
                var json = AuditChain.EventJson(stream, seq, at, principal, organisation, "caseworker", Types[seq - 1], data);
                var hash = AuditChain.Hash(prev, json);
                rows.Add(new AuditEventRow
                {
                    StreamId = stream, Seq = seq, OccurredAt = at, PrincipalId = principal, OrganisationId = organisation, Role = "caseworker", Type = Types[seq - 1],
                    Data = CanonicalJson.Text(data), PrevHash = prev, Hash = hash,
                });
                prev = hash;
                if (rows.Count == batchRows) await FlushEventsAsync(connection, transaction, rows);
            }
            heads.Add((stream, EventsPerStream, prev));
            if (heads.Count == batchRows) await FlushHeadsAsync(connection, transaction, heads);
        }
        await FlushEventsAsync(connection, transaction, rows);
        await FlushHeadsAsync(connection, transaction, heads);
        await transaction.CommitAsync();
    }

    /// <summary>A multi-row INSERT per batch, through plain ADO.NET parameters (ids and times converted as each engine stores them).</summary>
    private async Task FlushEventsAsync(DbConnection connection, DbTransaction transaction, List<AuditEventRow> rows)
    {
        if (rows.Count == 0) return;
        await InsertAsync(connection, transaction, "audit_events (stream_id, seq, occurred_at, principal_id, organisation_id, role, type, data, prev_hash, hash)",
            rows.Select(r => new object[] { r.StreamId, r.Seq, Time(r.OccurredAt), Id(r.PrincipalId!.Value), Id(r.OrganisationId!.Value), r.Role, r.Type, r.Data, r.PrevHash, r.Hash }));
        rows.Clear();
    }

    private async Task FlushHeadsAsync(DbConnection connection, DbTransaction transaction, List<(string Stream, long Seq, string Hash)> heads)
    {
        if (heads.Count == 0) return;
        await InsertAsync(connection, transaction, "audit_stream_heads (stream_id, seq, hash)", heads.Select(h => new object[] { h.Stream, h.Seq, h.Hash }));
        heads.Clear();
    }

    private object Time(DateTimeOffset at) => fixture.Database.Provider == "sqlite" ? at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture) : at;
    private object Id(Guid id) => fixture.Database.Provider == "sqlite" ? id.ToString("D") : id;

    private static async Task InsertAsync(DbConnection connection, DbTransaction transaction, string into, IEnumerable<object[]> rows)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var values = new List<string>();
        foreach (var row in rows)
        {
            var names = new List<string>();
            foreach (var value in row)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = $"@p{command.Parameters.Count}";
                parameter.Value = value;
                command.Parameters.Add(parameter);
                names.Add(parameter.ParameterName);
            }
            values.Add($"({string.Join(", ", names)})");
        }
        command.CommandText = $"INSERT INTO {into} VALUES {string.Join(", ", values)}";
        await command.ExecuteNonQueryAsync();
    }
}

public sealed class AuditVerifyPerformanceTests_Sqlite(SqliteApiFixture fixture, ITestOutputHelper output)
    : AuditVerifyPerformanceTests(fixture, output), IClassFixture<SqliteApiFixture>;

[Trait("Database", "Postgres")]
public sealed class AuditVerifyPerformanceTests_Postgres(PostgresApiFixture fixture, ITestOutputHelper output)
    : AuditVerifyPerformanceTests(fixture, output), IClassFixture<PostgresApiFixture>;
