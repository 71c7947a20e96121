using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Dapper;
using ReferralNetwork.Application.Features.Common;
using ReferralNetwork.Application.Features.Protocols;
using ReferralNetwork.Benchmarks;
using ReferralNetwork.Infrastructure.Crypto;
using ReferralNetwork.Infrastructure.Persistence;

// The ReferralNetwork benchmark (issue 9). See Options.Usage, or run with --help.
Options options;
try
{
    options = Options.Parse(args);
}
catch (HelpRequestedException)
{
    Console.WriteLine(Options.Usage);
    return 0;
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

var log = Console.Out;
var total = Stopwatch.StartNew();
DapperTypes.Register();
using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupted.Cancel();
    log.WriteLine("Interrupted: finishing the current step, then cleaning up.");
};

var loadAtStart = Report.LoadAverage();
log.WriteLine($"ReferralNetwork benchmark — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load average {loadAtStart}");
log.WriteLine($"  provider {options.Provider}, {options.Connections} connections, {options.Duration.TotalSeconds:0.#} s measured after {options.Warmup.TotalSeconds:0.#} s warm-up, " +
    $"{options.Referrals:N0} referrals ({options.InboxReferrals:N0} in one inbox), scenarios: {string.Join(", ", options.Scenarios)}");

await Repository.EnsureApiBuiltAsync(log);
var workDir = Directory.CreateTempSubdirectory("rn-bench-").FullName;
PostgresCluster? cluster = null;
ApiHost? api = null;
var setup = new Dictionary<string, object?>();
var report = new Report { Options = options, Setup = setup };
try
{
    // ---- Database --------------------------------------------------------------------------------------------------
    string connectionString, durability;
    DatabaseProvider provider;
    if (options.Provider == "postgres")
    {
        log.WriteLine("Starting a throwaway PostgreSQL cluster …");
        cluster = await PostgresCluster.StartAsync(options.Keep, log);
        connectionString = cluster.ConnectionString("referralnetwork");
        provider = DatabaseProvider.Postgres;
        durability = $"PostgreSQL {cluster.Version}, synchronous_commit=on, fsync=on (throwaway cluster on 127.0.0.1:{cluster.Port}, defaults otherwise)";
        log.WriteLine($"  {durability}");
    }
    else
    {
        connectionString = $"Data Source={Path.Combine(workDir, "referralnetwork.db")};Pooling=True";
        provider = DatabaseProvider.Sqlite;
        durability = "SQLite WAL, synchronous=FULL (the API's own setting), busy_timeout 10 s, file in " + workDir;
    }
    using var factory = new ConnectionFactory(provider, connectionString);

    // ---- API -------------------------------------------------------------------------------------------------------
    // Production refuses a guessable bootstrap key and starts only with both keys configured.
    var adminKey = "rn_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    var masterKey = RandomNumberGenerator.GetBytes(32);
    using var checkpointKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    var environment = new Dictionary<string, string>
    {
        ["Database__Provider"] = options.Provider,
        ["ConnectionStrings__ReferralNetwork"] = connectionString,
        ["Bootstrap__NetworkAdminKey"] = adminKey,
        ["Encryption__MasterKey"] = Convert.ToBase64String(masterKey),
        ["Encryption__MasterKeyId"] = "k1",
        ["Audit__CheckpointSigningKey"] = checkpointKey.ExportPkcs8PrivateKeyPem(),
        ["Storage__DataDirectory"] = workDir,
        ["Workers__Enabled"] = "false",
        // The batch sizes of group commit are read from the API's own metrics, on its loopback port.
        ["Observability__Prometheus__Enabled"] = "true",
        ["Database__GroupCommit__Enabled"] = options.GroupCommit ? "true" : "false",
        // Verify reads the audit log's key (an Ed25519 PKCS#8: RFC 8410's fixed prefix and a random seed).
        ["Audit__LogSigningKey"] = System.Security.Cryptography.PemEncoding.WriteString("PRIVATE KEY",
            [.. Convert.FromHexString("302e020100300506032b657004220420"), .. System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)]),
        // The per-key limiter stays in the pipeline (its cost is measured) but never refuses: 32 workers on a few keys
        // would otherwise meet the production limit of 600 requests a minute within a second.
        ["RateLimiting__PermitsPerMinute"] = "600000000",
        ["Logging__LogLevel__Default"] = "Warning",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        // Production serves no OpenAPI document by default; this program reads it to learn which endpoints the build has.
        ["OpenApi__Public"] = "true",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        // The reports scenario sends eight report queries at once from one auditor key (the production limit is 2).
        [ReportsScenario.Environment] = ReportsScenario.Concurrent.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
    if (options.MaxBatch is { } maxBatch) environment["Database__GroupCommit__MaxBatch"] = maxBatch.ToString(System.Globalization.CultureInfo.InvariantCulture);
    if (options.MaxWaitMilliseconds is { } maxWait) environment["Database__GroupCommit__MaxWaitMilliseconds"] = maxWait.ToString(System.Globalization.CultureInfo.InvariantCulture);
    if (options.Lanes is { } lanes) environment["Database__GroupCommit__Lanes"] = lanes.ToString(System.Globalization.CultureInfo.InvariantCulture);
    // Seeding and the probe run on an API that counts its SQL statements per request (Database:CountStatements, SQLite
    // only; an answer's SQL-Statements header); the measured runs then get a fresh process without the counting wrapper.
    var apiStart = Stopwatch.StartNew();
    api = await ApiHost.StartAsync(new Dictionary<string, string>(environment) { ["Database__CountStatements"] = "true" }, workDir);
    log.WriteLine($"API started in {apiStart.Elapsed.TotalSeconds:F1} s for seeding and the probe (statements counted per request)");

    // ---- Seed through the API --------------------------------------------------------------------------------------
    var seedWatch = Stopwatch.StartNew();
    var network = await Network.SeedAsync(api.BaseAddress, adminKey, options.Organisations, options.Seed);
    log.WriteLine($"Seeded {network.Organisations.Count} organisations and {network.Organisations.Count + (network.AuditorKey is null ? 0 : 1)} keys through the API in {seedWatch.Elapsed.TotalSeconds:F1} s" +
        (network.AuditorKey is null ? $" (no auditor key: {network.AuditorProblem})" : " (one caseworker key each, one auditor key)"));

    // ---- The probe: which rows one submission inserts, and how many statements a submit, acknowledge and accept run ----
    SubmitFloor.Snapshot before = null!, after = null!;
    var statements = new Dictionary<string, string>();
    using (var probe = new HttpClient { BaseAddress = api.BaseAddress })
    {
        async Task<HttpResponseMessage> Send(string name, HttpRequestMessage request, string key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            var response = await probe.SendAsync(request);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"The probe's {name} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            statements[name] = response.Headers.TryGetValues("SQL-Statements", out var values) ? values.Single() : "not counted";
            return response;
        }
        // The first submission warms the protocol cache and the connection's settings, as any running server has; the
        // second is counted without an Idempotency-Key, the third (whose rows are the floor's) with one, as partners send it.
        HttpResponseMessage submitted = null!;
        foreach (var (name, keyed) in new[] { ("warm-up", true), ("submit", false), ("submit with Idempotency-Key", true) })
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/referrals")
            {
                Content = new ByteArrayContent(Network.SubmitBody(network.Organisations[2].Id, 0)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            };
            if (keyed) request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("D"));
            before = await SubmitFloor.TakeAsync(factory);
            submitted = await Send(name, request, network.Organisations[1].Key);
        }
        statements.Remove("warm-up");
        var probeId = JsonNode.Parse(await submitted.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        after = await SubmitFloor.TakeAsync(factory);
        var etag = submitted.Headers.ETag!.Tag;
        foreach (var action in new[] { "acknowledge", "accept" })
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/referrals/{probeId}/{action}");
            request.Headers.TryAddWithoutValidation("If-Match", etag);
            etag = (await Send(action, request, network.Organisations[2].Key)).Headers.ETag!.Tag;
        }
    }
    log.WriteLine("SQL statements per request (authentication, idempotency and audit included): " +
        string.Join(", ", statements.Select(kv => $"{kv.Key} {kv.Value}")));
    setup["statements per request"] = string.Join(", ", statements.Select(kv => $"{kv.Key} {kv.Value}")) +
        " (the API's SQL-Statements header with Database:CountStatements on, SQLite only; budget: submit ≤ 14 and accept ≤ 10; an Idempotency-Key adds its claim and its stored answer)";
    var fixedIds = network.Organisations.SelectMany(o => new[] { o.Id, o.KeyId }).Append(network.CoordinatorId).Append(network.AdminPrincipalId);
    var floor = SubmitFloor.FromProbe(before, after, fixedIds, out var probeNotes);
    log.WriteLine($"One POST /referrals inserts: {floor.Describe()}");
    foreach (var note in probeNotes) log.WriteLine($"  note: {note}");
    setup["floor (a) transaction"] = $"the rows one POST /referrals inserts (found by diffing every table around a probe submission): {floor.Describe()}; " +
        "inserted with Dapper on the API's ConnectionFactory (same pragmas), one transaction each";

    // ---- The measured API: a fresh process, no statement counting ---------------------------------------------------
    await api.DisposeAsync();
    apiStart.Restart();
    api = await ApiHost.StartAsync(environment, workDir);
    log.WriteLine($"API started in {apiStart.Elapsed.TotalSeconds:F1} s: pid {api.Pid}, {api.BaseAddress} (Release build, Production, Workers__Enabled=false, per-key rate limit raised out of reach, log level Warning)");
    setup["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; load average at start {loadAtStart}";
    setup["database"] = durability;
    setup["api"] = $"{Repository.ApiDll} as a process on 127.0.0.1:{api.Port}, ASPNETCORE_ENVIRONMENT=Production, Workers__Enabled=false (no background workers during load), " +
        "RateLimiting__PermitsPerMinute=600000000 (the limiter runs but never refuses), log level Warning";
    setup["driver"] = $"this program: HttpClient/SocketsHttpHandler, HTTP/1.1, MaxConnectionsPerServer={options.Connections}, {options.Connections} workers, " +
        $"{options.Warmup.TotalSeconds:0.#} s warm-up + {options.Duration.TotalSeconds:0.#} s measured per scenario, on the same cores as the server";

    // ---- Bulk load -------------------------------------------------------------------------------------------------
    string protocolJson;
    int protocolVersion;
    await using (var connection = await factory.OpenAsync(CancellationToken.None))
        (protocolVersion, protocolJson) = await connection.QuerySingleAsync<(int, string)>(
            "SELECT version, document FROM protocols WHERE code = 'standard' ORDER BY version DESC " + factory.Dialect.Limit("1"));
    var protocol = ProtocolStore.Parse(protocolJson);
    // Missed deadlines escalate to the protocol's target; the seeded network's is its coordinator (organisation kind network_coordinator).
    var escalation = protocol.EscalateTo is null ? (Guid?)null : protocol.EscalateTo.OrganisationId ?? network.CoordinatorId;
    var generator = new DataGenerator(network.Organisations, masterKey, "k1", protocol, protocolVersion, options.Referrals,
        options.InboxReferrals, options.Seed, DateTimeOffset.UtcNow, escalation);
    log.WriteLine($"Bulk-loading {options.Referrals:N0} referrals straight through SQL …");
    var load = await BulkLoader.LoadAsync(generator, options.Referrals, options.Provider, connectionString, log);
    log.WriteLine($"  loaded {load.Rows:N0} rows in {load.Elapsed.TotalSeconds:F1} s ({load.Referrals / load.Elapsed.TotalSeconds:N0} referrals/s, " +
        $"{load.Rows / load.Elapsed.TotalSeconds:N0} rows/s; finishing step {load.Finishing.TotalSeconds:F1} s)");
    setup["bulk load"] = $"{load.Referrals:N0} referrals, {load.Rows:N0} rows ({string.Join(", ", load.RowsPerTable.Select(kv => $"{kv.Key} {kv.Value:N0}"))}) " +
        $"in {load.Elapsed.TotalSeconds:F1} s — {load.Method}";
    setup["data"] = $"{options.Organisations} organisations; referrals over the past year, 60 % requested, 15 % received, 15 % accepted, 10 % completed; " +
        $"'{network.Big.Id}' receives {options.InboxReferrals:N0}; made by the domain's Referral aggregate (duties, breaches the monitor would have " +
        "recorded, escalations), valid audit chains whose events replay to the stored projections";

    // ---- Which endpoints this build has ------------------------------------------------------------------------------
    var paths = new HashSet<string>();
    using (var client = new HttpClient { BaseAddress = api.BaseAddress })
    {
        var document = JsonNode.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"))!;
        foreach (var (path, _) in document["paths"]!.AsObject()) paths.Add(path);
    }
    bool Has(string path) => paths.Contains(path);
    var lifecycle = Has(Scenarios.AcknowledgePath) && Has(Scenarios.AcceptPath);
    var scenarios = new Scenarios(network, generator, options.Referrals, options.Seed);

    // ---- Runs ------------------------------------------------------------------------------------------------------
    async Task<RunResult> Http(string name, Func<Worker, CancellationToken, Task<bool>> step, int? workers = null)
    {
        interrupted.Token.ThrowIfCancellationRequested();
        log.WriteLine($"Running {name} …");
        using var run = new LoadRun(api!.BaseAddress, workers ?? options.Connections);
        var commitsBefore = await CommitMetrics.ScrapeAsync(api.BaseAddress);
        var result = await run.RunAsync(name, workers ?? options.Connections, options.Warmup, options.Duration, options.Seed, step, api);
        if (CommitMetrics.Describe(commitsBefore, await CommitMetrics.ScrapeAsync(api.BaseAddress)) is { } commits)
            result.Extra["commits"] = commits;
        report.Runs.Add(result);
        log.WriteLine($"  {Report.F0(result.RequestsPerSecond)} req/s, p50 {Report.F1(result.P50)} ms, p99 {Report.F1(result.P99)} ms, {result.Errors} errors" +
            (result.ErrorSamples.Count > 0 ? $" — e.g. {result.ErrorSamples[0]}" : ""));
        if (api.HasExited) throw new InvalidOperationException($"The API exited during {name}:\n{api.Tail}");
        return result;
    }

    async Task<RunResult> Database(string name, int workers)
    {
        interrupted.Token.ThrowIfCancellationRequested();
        log.WriteLine($"Running {name} …");
        using var run = new LoadRun(null, workers);
        var result = await run.RunAsync(name, workers, options.Warmup, options.Duration, options.Seed, async (w, ct) =>
        {
            await w.TimeAsync(() => floor.InsertOnceAsync(factory, ct));
            return true;
        }, null);
        report.Runs.Add(result);
        log.WriteLine($"  {Report.F0(result.RequestsPerSecond)} transactions/s, p50 {Report.F1(result.P50)} ms, p99 {Report.F1(result.P99)} ms, {result.Errors} errors" +
            (result.ErrorSamples.Count > 0 ? $" — e.g. {result.ErrorSamples[0]}" : ""));
        return result;
    }

    void Missing(string name, string why)
    {
        log.WriteLine($"{name}: {why}");
        report.Runs.Add(RunResult.Missing(name, why));
    }

    await Http(Report.FloorB, Scenarios.LiveAsync);
    if (options.Runs("submit") || options.Runs("accept") || options.Runs("mixed"))
    {
        await Database(Report.FloorASequential, 1);
        await Database(Report.FloorAConcurrent(options.Connections), options.Connections);
    }
    if (options.Runs("submit")) await Http("submit", scenarios.SubmitAsync);
    if (options.Runs("accept"))
    {
        if (!lifecycle) Missing("accept (acknowledge + accept)", "n/a (endpoint missing: POST /api/v1/referrals/{id}/acknowledge and /accept are not in this build)");
        else
        {
            var used = scenarios.RequestedUsed;
            var result = await Http("accept (acknowledge + accept)", scenarios.AcceptAsync);
            result.Extra["pairs/s"] = Report.F0(result.RequestsPerSecond / 2);
            result.Extra["requested referrals used"] = $"{scenarios.RequestedUsed - used:N0} of a pool of {scenarios.RequestedPool:N0}";
        }
    }
    if (options.Runs("inbox"))
    {
        await Http("inbox first page", scenarios.InboxFirstAsync);
        await using (var connection = await factory.OpenAsync(CancellationToken.None))
        {
            var position = await connection.QuerySingleOrDefaultAsync<(DateTimeOffset At, Guid Id)>(
                "SELECT created_at, id FROM referrals WHERE receiver_organisation_id = @Org ORDER BY created_at DESC, id DESC " + factory.Dialect.Limit("1") + " OFFSET 12499",
                new { Org = network.Big.Id });
            scenarios.DeepCursor = position.Id == Guid.Empty ? null : new Cursor(position.At, position.Id).Encode();
        }
        if (scenarios.DeepCursor is null) Missing("inbox page 500 deep", "n/a (the inbox holds fewer than 12,500 referrals: raise --inbox-referrals)");
        else
        {
            // The page really is there: 25 items, 12,500 rows down.
            using var client = new HttpClient { BaseAddress = api.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", network.Big.Key);
            var page = JsonNode.Parse(await client.GetStringAsync($"/api/v1/referrals?box=inbox&cursor={scenarios.DeepCursor}"))!;
            var items = page["items"]!.AsArray().Count;
            var result = await Http("inbox page 500 deep", scenarios.InboxDeepAsync);
            result.Extra["page"] = $"keyset cursor after 12,500 rows (500 pages of 25), {items} items";
        }
    }
    // The scaling table: the same two scenarios at other concurrencies, on the same data and process.
    foreach (var n in options.Scaling)
    {
        if (options.Runs("submit")) await Http($"submit @ {n} connections", scenarios.SubmitAsync, n);
        if (options.Runs("inbox")) await Http($"inbox first page @ {n} connections", scenarios.InboxFirstAsync, n);
    }
    if (options.Runs("timeline"))
    {
        if (!Has(Scenarios.TimelinePath)) Missing("timeline", "n/a (endpoint missing: GET /api/v1/referrals/{id}/timeline is not in this build)");
        else await Http("timeline", scenarios.TimelineAsync);
    }
    if (options.Runs("trail"))
    {
        if (!Has(Scenarios.TrailPath)) Missing("trail", "n/a (endpoint missing: GET /api/v1/audit/referrals/{id}/responsibility is not in this build)");
        else if (network.AuditorKey is null) Missing("trail", $"n/a (no auditor key: {network.AuditorProblem})");
        else await Http("trail", scenarios.TrailAsync);
    }
    if (options.Runs("mixed"))
    {
        var result = await Http("mixed (70 % reads / 30 % writes)", scenarios.Mixed(lifecycle));
        result.Extra["mix"] = lifecycle
            ? "inbox 30 %, one referral 20 %, timeline 20 %, submit 20 %, acknowledge 10 %"
            : "inbox 30 %, one referral 40 %, submit 30 % (no lifecycle endpoints in this build)";
    }
    if (options.Runs("verify"))
    {
        if (!Has(Scenarios.VerifyPath)) report.Verify = new Report.VerifyResult(false, "n/a (endpoint missing: GET /api/v1/audit/verify is not in this build)", 0, 0, null, null, null);
        else if (network.AuditorKey is null) report.Verify = new Report.VerifyResult(false, $"n/a (no auditor key: {network.AuditorProblem})", 0, 0, null, null, null);
        else
        {
            log.WriteLine("Running verify (one GET /api/v1/audit/verify over every event) …");
            using var client = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromMinutes(15) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", network.AuditorKey);
            api.ResetPeak();
            var cpuBefore = LoadRun.ServerCpuSeconds(api);
            var watch = Stopwatch.StartNew();
            var response = await client.GetAsync(Scenarios.VerifyPath);
            var body = await response.Content.ReadAsStringAsync();
            watch.Stop();
            if (!response.IsSuccessStatusCode)
                report.Verify = new Report.VerifyResult(false, $"failed: {(int)response.StatusCode} {body[..Math.Min(body.Length, 300)]}", 0, watch.Elapsed.TotalSeconds, null, null, api.Memory().PeakBytes);
            else
            {
                var json = JsonNode.Parse(body)!.AsObject();
                long events = json["eventsChecked"]?.GetValue<long>() ?? 0;
                double? ms = json.FirstOrDefault(p => p.Key.StartsWith("elapsed", StringComparison.OrdinalIgnoreCase)).Value?.GetValue<double>();
                bool? valid = (json["ok"] ?? json["valid"])?.GetValue<bool>();
                report.Verify = new Report.VerifyResult(true, null, events, watch.Elapsed.TotalSeconds, ms, valid, api.Memory().PeakBytes,
                    LoadRun.ServerCpuSeconds(api) - cpuBefore);
                log.WriteLine($"  {events:N0} events in {watch.Elapsed.TotalSeconds:F1} s: {events / watch.Elapsed.TotalSeconds:N0} events/s, valid: {valid?.ToString() ?? "?"}");
            }
        }
    }

    if (options.Runs("reports"))
    {
        if (network.AuditorKey is null) log.WriteLine($"reports: n/a (no auditor key: {network.AuditorProblem})");
        else
        {
            log.WriteLine("Running reports (network-wide statistics and indicators, alone and 8 at once) …");
            await ReportsScenario.RunAsync(api, network.AuditorKey, DateTimeOffset.UtcNow, log, setup);
        }
    }

    setup["load average at end"] = Report.LoadAverage();
    setup["total time"] = $"{total.Elapsed.TotalSeconds:F0} s";
    report.ComputeRatios();
    report.Evaluate();
    report.Print(log);
    if (options.Json)
    {
        var json = report.ToJson();
        if (options.JsonFile is null) log.WriteLine(json);
        else
        {
            await File.WriteAllTextAsync(options.JsonFile, json);
            log.WriteLine($"JSON written to {options.JsonFile}");
        }
    }
    return 0;
}
catch (OperationCanceledException) when (interrupted.IsCancellationRequested)
{
    log.WriteLine("Interrupted.");
    return 130;
}
catch (Exception e)
{
    log.WriteLine($"FAILED: {e}");
    if (api is not null) log.WriteLine($"API output (tail):\n{api.Tail}");
    return 1;
}
finally
{
    if (api is not null) await api.DisposeAsync();
    if (cluster is not null) await cluster.DisposeAsync();
    if (!options.Keep)
    {
        try { Directory.Delete(workDir, recursive: true); }
        catch (IOException) { }
    }
    else log.WriteLine($"Kept: {workDir}{(cluster is not null ? " and " + cluster.Directory : "")}");
}
