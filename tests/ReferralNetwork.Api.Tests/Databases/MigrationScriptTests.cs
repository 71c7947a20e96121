using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Api.Tests.Databases;

public sealed class MigrationScriptTests
{
    [Fact]
    public void Every_dialect_has_the_same_migration_file_names()
    {
        var sqlite = Migrator.ScriptNames(DatabaseProvider.Sqlite);
        Assert.NotEmpty(sqlite);
        Assert.Equal(sqlite, Migrator.ScriptNames(DatabaseProvider.Postgres));
        Assert.Equal(sqlite, Migrator.ScriptNames(DatabaseProvider.SqlServer));
    }

    [Fact]
    public void Migration_names_are_numbered_and_ordered()
    {
        var names = Migrator.ScriptNames(DatabaseProvider.Sqlite);
        Assert.All(names, n => Assert.Matches(@"^\d{4}_[a-z0-9_]+\.sql$", n));
        Assert.Equal(names.Count, names.Select(n => n[..4]).Distinct().Count());
    }
}
