using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ReferralNetwork.Application.Abstractions;

/// <summary>
/// The process's own traces and metrics (issue 20), exported by OpenTelemetry when configured. Names and tags are codes,
/// routes, outcomes and protocol codes only: never an id of a person, a name, a note, a key or a query's text.
/// </summary>
public static class Telemetry
{
    public const string Name = "ReferralNetwork";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    /// <summary>Commands and queries by type and outcome (ok, refused, failed), with their duration.</summary>
    public static readonly Histogram<double> MessageDuration = Meter.CreateHistogram<double>(
        "referralnetwork.message.duration", "s", "Time to handle a command or query, by message type and outcome.");

    /// <summary>Database transactions by outcome (commit, rollback), from BEGIN to COMMIT or ROLLBACK.</summary>
    public static readonly Histogram<double> TransactionDuration = Meter.CreateHistogram<double>(
        "referralnetwork.db.transaction.duration", "s", "Time a database transaction stayed open, by outcome.");

    /// <summary>How many commands shared each group commit (issue 20).</summary>
    public static readonly Histogram<long> CommitBatchSize = Meter.CreateHistogram<long>(
        "referralnetwork.db.commit.batch_size", "{command}", "Commands that shared one commit of the batching writer.");

    /// <summary>How long a command waited, after its own work, for the commit of its batch.</summary>
    public static readonly Histogram<double> CommitWait = Meter.CreateHistogram<double>(
        "referralnetwork.db.commit.wait", "s", "Time a finished command waited for its batch to commit.");

    /// <summary>Webhook delivery attempts by result (delivered, retry, failed, gone).</summary>
    public static readonly Counter<long> WebhookAttempts = Meter.CreateCounter<long>(
        "referralnetwork.webhook.attempts", "{attempt}", "Webhook delivery attempts, by result.");

    /// <summary>Missed deadlines the monitor recorded, by duty.</summary>
    public static readonly Counter<long> BreachesRecorded = Meter.CreateCounter<long>(
        "referralnetwork.deadline.breaches_recorded", "{breach}", "Missed deadlines recorded by the deadline monitor.");
}
