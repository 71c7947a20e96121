using System.Globalization;

namespace ReferralNetwork.Benchmarks;

/// <summary>Command-line options; every one has a default that reproduces the README's run.</summary>
public sealed class Options
{
    public static readonly string[] AllScenarios = ["submit", "accept", "inbox", "timeline", "trail", "mixed", "verify", "reports"];

    public string Provider { get; private set; } = "sqlite";
    public int Connections { get; private set; } = 32;
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(3);
    public int Referrals { get; private set; } = 1_000_000;
    public int InboxReferrals { get; private set; } = 100_000;
    public int Organisations { get; private set; } = 40;
    public IReadOnlyList<string> Scenarios { get; private set; } = AllScenarios;
    public bool Json { get; private set; }
    public string? JsonFile { get; private set; }
    public bool Keep { get; private set; }
    public int Seed { get; private set; } = 20260101;

    /// <summary>Database:GroupCommit for the measured API: on (the default), or off for the one-commit-per-command path.</summary>
    public bool GroupCommit { get; private set; } = true;
    public int? MaxBatch { get; private set; }
    public double? MaxWaitMilliseconds { get; private set; }
    public int? Lanes { get; private set; }

    /// <summary>Concurrencies at which submit and inbox first page run again after the main scenarios (the scaling table).</summary>
    public IReadOnlyList<int> Scaling { get; private set; } = [];

    public const string Usage = """
        ReferralNetwork benchmark: starts the Release API as a real process against a fresh database, seeds it through the
        API, bulk-loads the read data through SQL, drives load and prints req/s, latency, errors, server peak RSS and the
        ratio to the floors measured in the same run.

          dotnet run -c Release --project tests/ReferralNetwork.Benchmarks -- [options]

          --scenario all|<name>[,<name>]   submit, accept, inbox, timeline, trail, mixed, verify, reports (default all)
          --provider sqlite|postgres       postgres starts a throwaway cluster as scripts/test.sh does (default sqlite)
          --connections N                  concurrent connections and workers (default 32)
          --duration S                     measured seconds per scenario (default 10)
          --warmup S                       unmeasured seconds before each (default 3)
          --referrals N                    referrals bulk-loaded for the read scenarios (default 1000000)
          --inbox-referrals N              of which one receiving organisation holds (default 100000)
          --organisations N                organisations seeded through the API (default 40)
          --json [file]                    also print the results as JSON (to stdout, or to the file)
          --keep                           keep the database (and PostgreSQL cluster folder) for inspection
          --seed N                         seed of the data generator (default 20260101)
          --group-commit on|off            the API's Database:GroupCommit:Enabled (default on)
          --max-batch N                    Database:GroupCommit:MaxBatch (default: the API's, 64)
          --max-wait-ms X                  Database:GroupCommit:MaxWaitMilliseconds (default: the API's, 4)
          --lanes N                        Database:GroupCommit:Lanes, PostgreSQL only (default: the API's, 1)
          --scaling N[,N…]                 run submit and inbox first page again at these concurrencies (e.g. 1,8,32,128)
        """;

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            switch (arg)
            {
                case "--provider":
                    o.Provider = Next().ToLowerInvariant() switch
                    {
                        "sqlite" => "sqlite",
                        "postgres" or "postgresql" => "postgres",
                        var p => throw new ArgumentException($"--provider {p}: use sqlite or postgres."),
                    };
                    break;
                case "--connections": o.Connections = Positive(arg, Next()); break;
                case "--duration": o.Duration = Seconds(arg, Next()); break;
                case "--warmup": o.Warmup = Seconds(arg, Next(), allowZero: true); break;
                case "--referrals": o.Referrals = Positive(arg, Next()); break;
                case "--inbox-referrals": o.InboxReferrals = Positive(arg, Next()); break;
                case "--organisations": o.Organisations = Positive(arg, Next()); break;
                case "--seed": o.Seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--keep": o.Keep = true; break;
                case "--json":
                    o.Json = true;
                    if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) o.JsonFile = args[++i];
                    break;
                case "--scenario" or "--scenarios":
                    var names = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.ToLowerInvariant()).ToList();
                    if (names.Contains("all")) names = [.. AllScenarios];
                    foreach (var n in names)
                        if (!AllScenarios.Contains(n)) throw new ArgumentException($"Unknown scenario '{n}'. Scenarios: all, {string.Join(", ", AllScenarios)}.");
                    o.Scenarios = AllScenarios.Where(names.Contains).ToList();
                    break;
                case "--group-commit":
                    o.GroupCommit = Next() switch
                    {
                        "on" => true,
                        "off" => false,
                        var v => throw new ArgumentException($"--group-commit {v}: use on or off."),
                    };
                    break;
                case "--max-batch": o.MaxBatch = Positive(arg, Next()); break;
                case "--max-wait-ms": o.MaxWaitMilliseconds = Seconds(arg, Next()).TotalSeconds; break;
                case "--lanes": o.Lanes = Positive(arg, Next()); break;
                case "--scaling": o.Scaling = Next().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(n => Positive(arg, n)).ToList(); break;
                case "-h" or "--help":
                    throw new HelpRequestedException();
                default:
                    throw new ArgumentException($"Unknown option '{arg}'.");
            }
        }
        if (o.Organisations < 4) throw new ArgumentException("--organisations must be at least 4.");
        o.InboxReferrals = Math.Min(o.InboxReferrals, Math.Max(1, o.Referrals / 2));
        return o;
    }

    public bool Runs(string scenario) => Scenarios.Contains(scenario);

    private static int Positive(string name, string value) =>
        int.TryParse(value.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : throw new ArgumentException($"{name} {value}: a positive whole number, please.");

    private static TimeSpan Seconds(string name, string value, bool allowZero = false) =>
        double.TryParse(value.TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && (s > 0 || (allowZero && s == 0))
            ? TimeSpan.FromSeconds(s) : throw new ArgumentException($"{name} {value}: seconds, please.");
}

public sealed class HelpRequestedException : Exception;
