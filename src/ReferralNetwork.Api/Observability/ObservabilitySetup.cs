using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Observability;
using ReferralNetwork.Infrastructure.Persistence;

namespace ReferralNetwork.Api.Observability;

/// <summary>The <c>Observability</c> section (README, "What operators see"). Everything is off by default.</summary>
public sealed class ObservabilityOptions
{
    public PrometheusOptions Prometheus { get; set; } = new();
    public OtlpOptions Otlp { get; set; } = new();
    public TracingOptions Tracing { get; set; } = new();
    public LoggingOptions Logging { get; set; } = new();
    /// <summary>How often the database-backed gauges (open duties, breaches, outbox, monitor lag) are read.</summary>
    public int GaugeRefreshSeconds { get; set; } = 15;

    public sealed class PrometheusOptions
    {
        /// <summary>Serve <c>GET /metrics</c> in the Prometheus text format. Off by default: it tells anyone who can reach it how busy the network is.</summary>
        public bool Enabled { get; set; }
    }

    public sealed class OtlpOptions
    {
        /// <summary>An OpenTelemetry collector (e.g. http://127.0.0.1:4317): metrics and traces are exported there when set.</summary>
        public string? Endpoint { get; set; }
    }

    public sealed class TracingOptions
    {
        /// <summary>Record spans (requests, commands and queries) even without an OTLP endpoint; on whenever one is set.</summary>
        public bool Enabled { get; set; }
    }

    public sealed class LoggingOptions
    {
        /// <summary><c>text</c> (default) or <c>json</c>: one JSON object per line with the trace and span ids.</summary>
        public string Format { get; set; } = "text";
    }

    public bool MetricsOn => Prometheus.Enabled || Otlp.Endpoint is not null;
    public bool TracingOn => Tracing.Enabled || Otlp.Endpoint is not null;
}

/// <summary>
/// OpenTelemetry metrics and traces (issue 20): ASP.NET Core's request duration by route, method and status; the
/// process's own meter and activity source (<see cref="Telemetry"/>); the database-backed <see cref="OperationalGauges"/>.
/// Exported to Prometheus (<c>/metrics</c>) and/or OTLP, only as configured.
/// </summary>
public static class ObservabilitySetup
{
    public static ObservabilityOptions AddReferralNetworkObservability(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Observability").Get<ObservabilityOptions>() ?? new ObservabilityOptions();
        if (options.Logging.Format.Equals("json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            });
            builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        }
        else if (!options.Logging.Format.Equals("text", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"Observability:Logging:Format is text or json, not '{options.Logging.Format}'.");
        }
        if (!options.MetricsOn && !options.TracingOn) return options;

        Uri? otlp = null;
        if (options.Otlp.Endpoint is { } endpoint && !Uri.TryCreate(endpoint, UriKind.Absolute, out otlp))
            throw new InvalidOperationException($"Observability:Otlp:Endpoint is not an absolute URI: '{endpoint}'.");
        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService("referral-network"));
        if (options.MetricsOn)
        {
            builder.Services.AddSingleton(sp => new OperationalGauges(sp.GetRequiredService<ConnectionFactory>(), sp.GetRequiredService<Clock>(),
                TimeSpan.FromSeconds(Math.Max(1, options.GaugeRefreshSeconds)), sp.GetRequiredService<ILogger<OperationalGauges>>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<OperationalGauges>());
            telemetry.WithMetrics(m =>
            {
                m.AddAspNetCoreInstrumentation().AddMeter(Telemetry.Name);
                // Batch sizes and commit waits are small numbers: buckets that tell 1 from 2 and 2 ms from 4 ms.
                m.AddView("referralnetwork.db.commit.batch_size", new ExplicitBucketHistogramConfiguration { Boundaries = [1, 2, 4, 8, 16, 32, 64, 128] });
                m.AddView("referralnetwork.db.commit.wait",
                    new ExplicitBucketHistogramConfiguration { Boundaries = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 1] });
                if (options.Prometheus.Enabled) m.AddPrometheusExporter();
                if (otlp is not null) m.AddOtlpExporter(o => o.Endpoint = otlp);
            });
        }
        if (options.TracingOn)
            telemetry.WithTracing(t =>
            {
                // A query string can carry a name (GET /persons?q=…): spans keep the route and the path, never the query.
                t.AddAspNetCoreInstrumentation(o =>
                {
                    o.RecordException = false;
                    o.EnrichWithHttpRequest = (activity, _) => activity.SetTag("url.query", null);
                }).AddSource(Telemetry.Name);
                if (otlp is not null) t.AddOtlpExporter(o => o.Endpoint = otlp);
            });
        return options;
    }

    /// <summary>Maps <c>/metrics</c> when Prometheus is enabled: outside <c>/api</c>, without credentials, like the health probes.</summary>
    public static void MapReferralNetworkMetrics(this WebApplication app, ObservabilityOptions options)
    {
        if (options.Prometheus.Enabled) app.MapPrometheusScrapingEndpoint("/metrics");
    }
}
