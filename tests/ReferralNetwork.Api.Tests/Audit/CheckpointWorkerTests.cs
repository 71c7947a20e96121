using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Infrastructure.Audit;

namespace ReferralNetwork.Api.Tests.Audit;

/// <summary>The API with workers on, a one-minute checkpoint interval and a signing key from configuration.</summary>
public sealed class CheckpointWorkerFixture : SqliteApiFixture
{
    public static readonly string SigningKeyPem = NewKey();

    public string DataFolder => DataDirectory;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Workers:Enabled"] = "true",
        ["Audit:CheckpointInterval"] = "00:01:00",
        ["Audit:CheckpointSigningKey"] = SigningKeyPem,
    };

    private static string NewKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }
}

public sealed class CheckpointWorkerTests(CheckpointWorkerFixture fixture) : IClassFixture<CheckpointWorkerFixture>
{
    [Fact]
    public async Task The_worker_seals_a_checkpoint_each_interval_with_the_configured_key_and_generates_none()
    {
        var network = new TestNetwork(fixture);
        var auditor = await AuditTestKit.AuditorAsync(fixture, network);
        await network.OrganisationAsync();
        using (var configured = ECDsa.Create())
        {
            configured.ImportFromPem(CheckpointWorkerFixture.SigningKeyPem);
            var key = await AuditTestKit.GetJsonAsync(auditor, "/api/v1/audit/public-key");
            Assert.Equal(CheckpointKeys.KeyIdOf(configured.ExportSubjectPublicKeyInfo()), key["keyId"]!.GetValue<string>());
        }
        Assert.False(File.Exists(Path.Combine(fixture.DataFolder, "dev-checkpoint-signing-key.pem")));

        long sealedCount = 0;
        for (var attempt = 0; attempt < 100 && sealedCount == 0; attempt++)
        {
            fixture.Time.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(100);
            await using var connection = await fixture.OpenAsync();
            sealedCount = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_checkpoints");
        }
        Assert.True(sealedCount > 0, "the worker sealed no checkpoint");
        var report = await AuditTestKit.VerifyAsync(auditor, everyRoot: true);
        Assert.True(report["ok"]!.GetValue<bool>(), report.ToJsonString());
        Assert.True(report["checkpointsChecked"]!.GetValue<long>() > 0);
    }

    [Fact]
    public void With_workers_enabled_the_checkpointer_is_hosted()
    {
        Assert.Contains(fixture.Factory.Services.GetServices<IHostedService>(), s => s is Checkpointer);
    }

    [Fact]
    public void A_signing_key_that_is_not_p256_is_refused()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var error = Assert.Throws<InvalidOperationException>(() => new CheckpointKeys(p384.ExportPkcs8PrivateKeyPem(), []));
        Assert.Contains("P-256", error.Message);
    }
}

/// <summary>The test fixtures run with Workers:Enabled=false, as operators may: then no checkpointer runs.</summary>
public sealed class CheckpointWorkerDisabledTests(SqliteApiFixture fixture) : IClassFixture<SqliteApiFixture>
{
    [Fact]
    public void With_workers_disabled_no_checkpointer_is_hosted()
    {
        Assert.DoesNotContain(fixture.Factory.Services.GetServices<IHostedService>(), s => s is Checkpointer);
    }
}
