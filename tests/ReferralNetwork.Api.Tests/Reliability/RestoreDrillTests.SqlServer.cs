using System.Data.Common;
using Dapper;
using Microsoft.Data.SqlClient;
using ReferralNetwork.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ReferralNetwork.Api.Tests.Reliability;

/// <summary>
/// The drill on SQL Server (opt-in, REFERRALNET_TEST_SQLSERVER), with what deploy/mssql/backup.sql and restore.sql run:
/// <c>BACKUP DATABASE … WITH CHECKSUM</c> (COPY_ONLY, so a test never joins a real backup chain) into the server's
/// default backup folder, <c>RESTORE VERIFYONLY</c>, <c>RESTORE DATABASE … WITH MOVE</c> as a new database, then
/// <c>verify-backup</c> against it. No machine here runs SQL Server, so this class has not run yet. The .bak file stays
/// in the server's backup folder.
/// </summary>
[Trait("Database", "SqlServer")]
public sealed class RestoreDrillTests_SqlServer(ITestOutputHelper output) : RestoreDrillTests(output)
{
    private string _source = "";

    private static string Master => Environment.GetEnvironmentVariable(SqlServerTestDatabase.Variable)
        ?? throw new InvalidOperationException($"{SqlServerTestDatabase.Variable} is not set: SQL Server tests are opt-in.");

    protected override async Task<Dictionary<string, string>> LiveDatabaseAsync()
    {
        var database = await SqlServerTestDatabase.CreateAsync();
        Cleanup.Add(database);
        _source = new SqlConnectionStringBuilder(database.ConnectionString).InitialCatalog;
        return new Dictionary<string, string> { ["Database__Provider"] = "sqlserver", ["ConnectionStrings__ReferralNetwork"] = database.ConnectionString };
    }

    protected override async Task<string> BackupAsync(Dictionary<string, string> live)
    {
        await using var master = new SqlConnection(Master);
        var folder = await master.ExecuteScalarAsync<string>("SELECT CAST(SERVERPROPERTY('InstanceDefaultBackupPath') AS nvarchar(4000))");
        var file = $"{folder!.TrimEnd('/', '\\')}/{_source}.bak";
        await master.ExecuteAsync("BACKUP DATABASE @Database TO DISK = @File WITH CHECKSUM, COPY_ONLY, INIT, FORMAT",
            new { Database = _source, File = file }, commandTimeout: 300);
        await master.ExecuteAsync("RESTORE VERIFYONLY FROM DISK = @File WITH CHECKSUM", new { File = file }, commandTimeout: 300);
        return file;
    }

    protected override async Task<Dictionary<string, string>> RestoreAsync(Dictionary<string, string> live, string backup)
    {
        var target = "rn_" + Guid.NewGuid().ToString("N");
        await using var master = new SqlConnection(Master);
        var files = (await master.QueryAsync("RESTORE FILELISTONLY FROM DISK = @File", new { File = backup })).Cast<IDictionary<string, object>>().ToList();
        var dataName = (string)files.Single(f => (string)f["Type"] == "D")["LogicalName"];
        var logName = (string)files.Single(f => (string)f["Type"] == "L")["LogicalName"];
        var folder = (await master.ExecuteScalarAsync<string>("SELECT CAST(SERVERPROPERTY('InstanceDefaultDataPath') AS nvarchar(4000))"))!.TrimEnd('/', '\\');
        await master.ExecuteAsync("""
            RESTORE DATABASE @Target FROM DISK = @File
            WITH CHECKSUM, RECOVERY, MOVE @DataName TO @DataFile, MOVE @LogName TO @LogFile
            """, new { Target = target, File = backup, DataName = dataName, DataFile = $"{folder}/{target}.mdf", LogName = logName, LogFile = $"{folder}/{target}_log.ldf" },
            commandTimeout: 300);
        Cleanup.Add(new DroppedDatabase(target));
        var restored = new SqlConnectionStringBuilder(live["ConnectionStrings__ReferralNetwork"]) { InitialCatalog = target };
        return new Dictionary<string, string>(live) { ["ConnectionStrings__ReferralNetwork"] = restored.ConnectionString };
    }

    protected override string[] VerifyTarget(string backup) => [];

    protected override async Task<DbConnection> OpenAsync(Dictionary<string, string> settings)
    {
        var connection = new SqlConnection(settings["ConnectionStrings__ReferralNetwork"]);
        await connection.OpenAsync();
        return connection;
    }

    protected override async Task TamperedCopiesFailAsync(Dictionary<string, string> restored, string backup, Anchor anchor, ApiProcess api)
    {
        await using (var connection = await OpenAsync(restored))
            Assert.Equal(1, await connection.ExecuteAsync("""
                UPDATE audit_events SET role = CASE WHEN role = 'auditor' THEN 'caseworker' ELSE 'auditor' END
                WHERE global_seq = (SELECT MIN(global_seq) FROM audit_events WHERE stream_id LIKE 'referral/%')
                """));
        var result = await ApiProcess.RunAsync(restored, CommandTimeout, "verify-backup", "--checkpoint", anchor.Sequence.ToString(), "--root", anchor.Root);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("audit: hash_mismatch", result.Error);
    }

    private sealed class DroppedDatabase(string name) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            SqlConnection.ClearAllPools();
            await using var master = new SqlConnection(Master);
            await master.ExecuteAsync($"ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{name}];");
        }
    }
}
