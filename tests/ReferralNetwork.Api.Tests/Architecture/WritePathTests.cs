using System.Text.RegularExpressions;
using ReferralNetwork.Api.Tests.Infrastructure;

namespace ReferralNetwork.Api.Tests.Architecture;

/// <summary>
/// The shape the accountability issue gave the write path, kept by reading the sources: one unit of work opens,
/// commits and rolls back every transaction, and one repository writes everything a referral's accountability is made of.
/// </summary>
public sealed partial class WritePathTests
{
    private static readonly string[] UnitOfWorkFiles =
    [
        "src/ReferralNetwork.Application/Abstractions/UnitOfWork.cs", "src/ReferralNetwork.Infrastructure/Persistence/DbSession.cs",
        // The statement-counting wrapper forwards the driver's BeginTransaction; it opens nothing itself.
        "src/ReferralNetwork.Infrastructure/Persistence/CountingConnection.cs",
        // So does the write-fault test seam.
        "src/ReferralNetwork.Infrastructure/Persistence/DatabaseFaultInjection.cs",
        // The batching writer: the unit of work's transaction for commands when group commit is on (issue 20).
        "src/ReferralNetwork.Infrastructure/Persistence/GroupCommit.cs",
    ];

    private const string ReferralRepositoryFile = "src/ReferralNetwork.Application/Features/Referrals/ReferralRepository.cs";

    [Fact]
    public void Only_the_unit_of_work_begins_commits_or_rolls_back_a_transaction()
    {
        var sources = Sources().ToList();
        Assert.True(sources.Count > 100, $"only {sources.Count} source files found");
        var offenders = sources.Where(f => !UnitOfWorkFiles.Contains(f.Path))
            .SelectMany(f => HandWrittenTransaction().Matches(f.Text).Select(m => $"{f.Path}: {m.Value}"))
            .ToList();
        Assert.True(offenders.Count == 0, "transactions handled outside UnitOfWork:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Only_the_referral_repository_writes_referrals_and_their_accountability_rows()
    {
        var offenders = Sources().Where(f => f.Path != ReferralRepositoryFile)
            .SelectMany(f => ReferralWrite().Matches(f.Text).Select(m => $"{f.Path}: {m.Value}"))
            // Fan-out marks a message as handed to the webhook deliveries; the message itself was written by the repository.
            .Where(o => !o.EndsWith("UPDATE outbox_messages SET fanned_out_at", StringComparison.Ordinal))
            .ToList();
        Assert.True(offenders.Count == 0, "referral rows written outside ReferralRepository:\n" + string.Join("\n", offenders));
        Assert.Matches(ReferralWrite(), File.ReadAllText(Path.Combine(Repository.Root, ReferralRepositoryFile)));
    }

    [Fact]
    public void The_patterns_above_recognise_what_they_forbid()
    {
        // The scans are only worth something if they catch the code they are meant to keep out.
        Assert.Matches(HandWrittenTransaction(), "await using var transaction = await connection.BeginTransactionAsync(ct);");
        Assert.Matches(HandWrittenTransaction(), "await session.CommitAsync(ct);");
        Assert.Matches(HandWrittenTransaction(), "await transaction.RollbackAsync(CancellationToken.None);");
        Assert.DoesNotMatch(HandWrittenTransaction(), "await transaction.RollbackAsync(savepoint, ct);");
        Assert.DoesNotMatch(HandWrittenTransaction(), "await work.CommitAsync(ct);");
        Assert.Matches(ReferralWrite(), "DELETE FROM deadline_breaches WHERE id = @Id");
        Assert.Matches(ReferralWrite(), "UPDATE   responsibility_periods SET");
        Assert.DoesNotMatch(ReferralWrite(), "SELECT * FROM referral_duties");
    }

    private static IEnumerable<(string Path, string Text)> Sources() =>
        Directory.EnumerateFiles(Path.Combine(Repository.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Repository.Root, p).Replace('\\', '/'))
            .Where(p => !p.Contains("/obj/", StringComparison.Ordinal) && !p.Contains("/bin/", StringComparison.Ordinal))
            .Select(p => (p, File.ReadAllText(Path.Combine(Repository.Root, p))));

    [GeneratedRegex(@"BeginTransaction(Async)?\(|\b(session|transaction|_session)\.(BeginAsync|CommitAsync|Commit|Rollback|RollbackAsync)\((?!savepoint)")]
    private static partial Regex HandWrittenTransaction();

    [GeneratedRegex(@"(INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO)\s+(referrals|responsibility_periods|referral_duties|deadline_breaches|referral_observers|referral_escalations|referral_timeline|referral_steps|outbox_messages)\b(\s+SET\s+\w+)?",
        RegexOptions.IgnoreCase)]
    private static partial Regex ReferralWrite();
}
