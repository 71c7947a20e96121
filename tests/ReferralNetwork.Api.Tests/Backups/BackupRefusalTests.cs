using System.Security.Cryptography;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ReferralNetwork.Api.Commands;
using ReferralNetwork.Api.Tests.Infrastructure;
using ReferralNetwork.Infrastructure;
using ReferralNetwork.Infrastructure.Audit;
using ReferralNetwork.Infrastructure.Backups;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Api.Tests.Backups;

/// <summary>The API in-process on SQLite with a configured signing key: some audited writes, one checkpoint, one backup.</summary>
public sealed class BackupFixture : SqliteApiFixture, IAsyncLifetime
{
    public static readonly string SigningKey = BackupRefusalTests.NewSigningKey();

    public string Backup { get; private set; } = "";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Audit:CheckpointSigningKey"] = SigningKey };

    public new async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await new TestNetwork(this).OrganisationAsync();
        Assert.NotNull((await Factory.Services.GetRequiredService<CheckpointWriter>().WriteAsync(CancellationToken.None)).Checkpoint);
        Backup = (await Factory.Services.GetRequiredService<SqliteBackup>().WriteAsync(Path.Combine(DataDirectory, "backups", "b.db"), CancellationToken.None)).Path;
    }
}

/// <summary>
/// The backup and restore services on SQLite, without HTTP: what a backup file is, and every refusal of restore (a copy
/// that is not whole, from a newer version, signed by a key this configuration does not trust, or of a server database),
/// each leaving no database behind. The drill (Reliability/RestoreDrillTests) runs the commands as an operator would.
/// </summary>
public sealed class BackupRefusalTests(BackupFixture fixture) : IClassFixture<BackupFixture>, IAsyncLifetime
{
    private static readonly string SigningKey = BackupFixture.SigningKey;
    private readonly SqliteTestDatabase _folder = new();
    private IServiceProvider _live = null!;
    private string _backup = "";

    private string Folder => _folder.DataDirectory;

    public Task InitializeAsync()
    {
        _live = fixture.Factory.Services;
        _backup = fixture.Backup;
        Directory.CreateDirectory(Path.Combine(Folder, "backups"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _folder.DisposeAsync();

    [Fact]
    public async Task A_backup_is_one_self_contained_file_with_its_checksum_and_is_never_overwritten()
    {
        var bytes = await File.ReadAllBytesAsync(_backup);
        Assert.Equal("SQLite format 3\0"u8.ToArray(), bytes[..16]);
        Assert.Equal((1, 1), (bytes[18], bytes[19])); // rollback journal, not WAL: no -wal or -shm belongs to it
        Assert.False(File.Exists(_backup + "-wal"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), await BackupFile.ReadChecksumAsync(_backup, CancellationToken.None));
        Assert.Empty(await BackupFile.CheckAsync(_backup, CancellationToken.None));

        var again = await Assert.ThrowsAsync<BackupException>(() => _live.GetRequiredService<SqliteBackup>().WriteAsync(_backup, CancellationToken.None));
        Assert.Contains("backup never overwrites a file", again.Message);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(_backup));
    }

    [Fact]
    public async Task Restore_refuses_a_copy_whose_bytes_changed_and_creates_nothing()
    {
        var copy = await CopyAsync("changed.db", keepChecksum: true, edit: bytes => bytes[bytes.Length / 2] ^= 0x20);
        await using var target = Services(Path.Combine(Folder, "target"), SigningKey);
        var refused = await Assert.ThrowsAsync<BackupException>(() => target.GetRequiredService<SqliteRestore>().RunAsync(copy, CancellationToken.None));
        Assert.Contains("is not whole, nothing was restored", refused.Message);
        Assert.Contains("the file changed after it was written", refused.Message);
        AssertNoDatabase("target");
    }

    [Fact]
    public async Task Restore_refuses_a_file_that_is_not_a_database()
    {
        var copy = Path.Combine(Folder, "backups", "notes.db");
        await File.WriteAllTextAsync(copy, "not a database at all, but long enough to have a header of a hundred bytes ......................");
        await using var target = Services(Path.Combine(Folder, "target"), SigningKey);
        var refused = await Assert.ThrowsAsync<BackupException>(() => target.GetRequiredService<SqliteRestore>().RunAsync(copy, CancellationToken.None));
        Assert.Contains("SQLite cannot read", refused.Message);
        AssertNoDatabase("target");
    }

    [Fact]
    public async Task Restore_refuses_a_copy_made_by_a_newer_version()
    {
        var copy = await CopyAsync("newer.db", keepChecksum: false);
        await using (var connection = new SqliteConnection($"Data Source={copy};Pooling=False"))
            await connection.ExecuteAsync("INSERT INTO schemaversions (scriptname, applied) VALUES ('ReferralNetwork.Infrastructure.Migrations.sqlite.9999_future.sql', '2027-01-01')");
        await using var target = Services(Path.Combine(Folder, "target"), SigningKey);
        var refused = await Assert.ThrowsAsync<BackupException>(() => target.GetRequiredService<SqliteRestore>().RunAsync(copy, CancellationToken.None));
        Assert.Contains("migrations this version does not know (9999_future.sql)", refused.Message);
        AssertNoDatabase("target");
    }

    [Fact]
    public async Task Restore_refuses_a_copy_signed_by_a_checkpoint_key_it_does_not_trust()
    {
        await using var target = Services(Path.Combine(Folder, "target"), NewSigningKey());
        var refused = await Assert.ThrowsAsync<BackupException>(() => target.GetRequiredService<SqliteRestore>().RunAsync(_backup, CancellationToken.None));
        Assert.Contains("which this configuration does not trust", refused.Message);
        AssertNoDatabase("target");

        await using var trusting = Services(Path.Combine(Folder, "target"), SigningKey);
        var restored = await trusting.GetRequiredService<SqliteRestore>().RunAsync(_backup, CancellationToken.None);
        Assert.Equal(await File.ReadAllBytesAsync(_backup), await File.ReadAllBytesAsync(restored.Database));
    }

    [Fact]
    public async Task Backup_and_restore_of_a_server_database_are_refused_and_name_its_tools()
    {
        using var postgres = new ConnectionFactory(DatabaseProvider.Postgres, "Host=127.0.0.1;Port=1;Username=nobody;Database=none");
        var backup = await Assert.ThrowsAsync<BackupException>(() => new SqliteBackup(postgres).WriteAsync(Path.Combine(Folder, "pg.db"), CancellationToken.None));
        Assert.Contains("pg_dump", backup.Message);
        Assert.Contains("BACKUP DATABASE", backup.Message);
        Assert.False(File.Exists(Path.Combine(Folder, "pg.db")));
    }

    [Fact]
    public async Task Verify_backup_reads_the_copy_through_a_connection_that_cannot_write()
    {
        var configuration = new ConfigurationManager();
        BackupCommands.Configure("verify-backup", ["verify-backup", _backup], configuration);
        Assert.Equal("sqlite", configuration["Database:Provider"]);
        using var factory = new ConnectionFactory(DatabaseProvider.Sqlite, configuration["ConnectionStrings:ReferralNetwork"]!);
        var before = await File.ReadAllBytesAsync(_backup);
        await using (var connection = await factory.OpenAsync(CancellationToken.None))
        {
            Assert.True(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events") > 0);
            var refused = await Assert.ThrowsAsync<SqliteException>(() => connection.ExecuteAsync("DELETE FROM audit_events"));
            Assert.Equal(8, refused.SqliteErrorCode); // SQLITE_READONLY
        }
        Assert.Equal(before, await File.ReadAllBytesAsync(_backup));
        Assert.False(File.Exists(_backup + "-wal") || File.Exists(_backup + "-journal"));

        var postgres = new ConfigurationManager();
        postgres["Database:Provider"] = "postgres";
        postgres["ConnectionStrings:ReferralNetwork"] = "Host=127.0.0.1;Database=restored";
        BackupCommands.Configure("verify-backup", ["verify-backup", "--checkpoint", "4", "--root", new string('a', 64)], postgres);
        Assert.Equal("-c default_transaction_read_only=on", new Npgsql.NpgsqlConnectionStringBuilder(postgres["ConnectionStrings:ReferralNetwork"]).Options);
    }

    [Fact]
    public void A_setting_after_an_absolute_file_path_is_not_lost()
    {
        string[] args = ["restore", "/backups/b.db", "--Storage:DataDirectory", "restored"];
        var configuration = new ConfigurationManager();
        configuration.AddCommandLine(args); // as WebApplication.CreateBuilder does: "/backups/b.db" reads as a key
        Assert.Null(configuration["Storage:DataDirectory"]);
        BackupCommands.Configure("restore", args, configuration);
        Assert.Equal("restored", configuration["Storage:DataDirectory"]);
    }

    [Theory]
    [InlineData("postgres", "01:00:00", "7", "Database:Provider is 'Postgres'")]
    [InlineData("sqlite", "00:00:00", "7", "Backup:Interval must be more than zero")]
    [InlineData("sqlite", "31.00:00:00", "7", "at most 30 days")]
    [InlineData("sqlite", "01:00:00", "0", "Backup:Keep must be at least 1")]
    public void A_schedule_that_cannot_work_is_refused_at_start_up(string provider, string interval, string keep, string message)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = provider, ["Backup:Directory"] = Path.Combine(Folder, "scheduled"), ["Backup:Interval"] = interval, ["Backup:Keep"] = keep,
        }).Build();
        var refused = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddBackups(configuration));
        Assert.Contains(message, refused.Message);
    }

    [Theory]
    [InlineData(new[] { "verify-backup", "copy.db" }, "copy.db", null, null, null)]
    [InlineData(new[] { "verify-backup", "--urls", "http://127.0.0.1:1", "copy.db", "--checkpoint", "12", "--root", "AB" + "0000000000000000000000000000000000000000000000000000000000000a" },
        "copy.db", 12L, "ab0000000000000000000000000000000000000000000000000000000000000a", null)]
    [InlineData(new[] { "verify-backup", "--checkpoint=3" }, null, 3L, null, "--checkpoint and --root go together")]
    [InlineData(new[] { "verify-backup", "--checkpoint", "x", "--root", "00" }, null, null, "00", "--checkpoint takes a checkpoint sequence")]
    [InlineData(new[] { "restore", "a.db", "b.db" }, "a.db", null, null, "one file only")]
    public void Arguments_name_one_file_and_an_anchor_and_skip_configuration(string[] args, string? file, long? checkpoint, string? root, string? error)
    {
        var parsed = BackupArguments.Parse(args);
        Assert.Equal(file, parsed.File);
        if (error is null)
        {
            Assert.Null(parsed.Error);
            Assert.Equal(checkpoint, parsed.Checkpoint);
            Assert.Equal(root, parsed.Root);
        }
        else Assert.StartsWith(error, parsed.Error);
    }

    private async Task<string> CopyAsync(string name, bool keepChecksum, Action<byte[]>? edit = null)
    {
        var bytes = await File.ReadAllBytesAsync(_backup);
        var path = Path.Combine(Folder, "backups", name);
        if (keepChecksum) await File.WriteAllTextAsync(path + ".sha256", await File.ReadAllTextAsync(_backup + ".sha256"));
        edit?.Invoke(bytes);
        await File.WriteAllBytesAsync(path, bytes);
        return path;
    }

    private void AssertNoDatabase(string folder) => Assert.False(File.Exists(Path.Combine(Folder, folder, "referralnetwork.db")));

    private static ServiceProvider Services(string dataDirectory, string signingKey)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = dataDirectory,
            ["Encryption:MasterKey"] = ApiFixture.MasterKey,
            ["Audit:CheckpointSigningKey"] = signingKey,
            ["Workers:Enabled"] = "false",
        }).Build();
        return new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration)
            .AddReferralNetworkInfrastructure(configuration).BuildServiceProvider();
    }

    internal static string NewSigningKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }
}
