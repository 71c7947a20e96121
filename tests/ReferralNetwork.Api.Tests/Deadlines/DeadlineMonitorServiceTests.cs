using Dapper;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Deadlines;

/// <summary>The hosted monitor as it runs in production (Workers:Enabled), its schedule driven by the test clock.</summary>
public abstract class DeadlineMonitorServiceTests(ApiFixture fixture)
{
    private readonly TestNetwork _network = new(fixture);

    [Fact]
    public async Task The_background_monitor_records_a_breach_when_the_clock_passes_the_deadline()
    {
        var referrer = await _network.OrganisationAsync("ngo");
        var receiver = await _network.OrganisationAsync("ngo");
        var id = (await _network.SubmitAsync(referrer, receiver))["id"]!.GetValue<Guid>();

        fixture.Time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(2)); // past acknowledge, and past the monitor's next wake-up

        await using var connection = await fixture.OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        long breaches;
        while ((breaches = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM deadline_breaches WHERE referral_id = @Id", new { Id = id })) == 0
               && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.Equal(1, breaches);
    }
}

public sealed class SqliteWorkersFixture : SqliteApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Workers:Enabled"] = "true" };
}

public sealed class PostgresWorkersFixture : PostgresApiFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Workers:Enabled"] = "true" };
}

public sealed class DeadlineMonitorServiceTests_Sqlite(SqliteWorkersFixture fixture) : DeadlineMonitorServiceTests(fixture), IClassFixture<SqliteWorkersFixture>;

[Trait("Database", "Postgres")]
public sealed class DeadlineMonitorServiceTests_Postgres(PostgresWorkersFixture fixture) : DeadlineMonitorServiceTests(fixture), IClassFixture<PostgresWorkersFixture>;
