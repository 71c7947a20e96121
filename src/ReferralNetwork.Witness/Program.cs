using System.Security.Cryptography;
using System.Text;
using ReferralNetwork.Transparency;
using ReferralNetwork.Witness;

// A witness for the ReferralNetwork audit log (c2sp.org/tlog-witness): it keeps, per log, the latest checkpoint it
// cosigned and cosigns a new one only when a consistency proof shows it extends that one. Run by someone other than
// the log's operator (the ombudsperson, a donor's monitor, a partner NGO), with its own key and state file.
//   dotnet ReferralNetwork.Witness.dll [serve] --urls http://127.0.0.1:5100
//   dotnet ReferralNetwork.Witness.dll generate-key        prints a new Ed25519 private key (PEM)
//   dotnet ReferralNetwork.Witness.dll vkey                prints this witness's verifier key (for Audit:Witnesses:<n>:PublicKey)
var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "serve";
if (command == "generate-key")
{
    Console.Write(Ed25519Key.NewPem());
    return 0;
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 64 * 1024);
var options = builder.Configuration.GetSection("Witness").Get<WitnessOptions>() ?? new WitnessOptions();
// Fail closed: a witness without its own key and name cannot cosign anything, in any environment.
if (!SignedNote.ValidKeyName(options.Name)) return Fail("Witness:Name is required: a key name without spaces or '+'.");
if (string.IsNullOrWhiteSpace(options.SigningKey)) return Fail("Witness:SigningKey is required: the PEM of an Ed25519 key (see the generate-key command).");
var key = Ed25519Key.FromPem(options.SigningKey);
var cosigner = new Cosigner(options.Name, key);
if (command == "vkey")
{
    Console.WriteLine(cosigner.VerifierKey);
    return 0;
}
if (command != "serve") return Fail($"Unknown command '{command}'. Commands: serve (default), generate-key, vkey.");

var logs = new Dictionary<string, KnownLog>(StringComparer.Ordinal);
foreach (var log in options.Logs)
{
    var (name, publicKey) = NoteKeys.ParseVerifierKey(log.PublicKey, NoteKeys.Ed25519);
    if (name != log.Origin) return Fail($"The verifier key of log '{log.Origin}' names '{name}'.");
    logs[log.Origin] = new KnownLog(log.Origin, publicKey);
}
if (logs.Count == 0) return Fail("Witness:Logs is empty: configure the origin and verifier key of at least one log.");

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton(cosigner);
builder.Services.AddSingleton<IReadOnlyDictionary<string, KnownLog>>(logs);
builder.Services.AddSingleton(new WitnessState(options.StateFile));
builder.Services.AddSingleton<AddCheckpoint>();
var app = builder.Build();

app.MapPost("/add-checkpoint", async (HttpRequest request, AddCheckpoint witness) =>
{
    using var reader = new StreamReader(request.Body, Encoding.UTF8);
    var answer = await witness.HandleAsync(await reader.ReadToEndAsync());
    return Results.Text(answer.Body, answer.ContentType, Encoding.UTF8, answer.Status);
});

// The monitoring API: the latest checkpoint cosigned for a log, by the lowercase hex SHA-256 of its origin.
app.MapGet("/{originHash}/checkpoint", (string originHash, WitnessState state) =>
{
    var log = logs.Keys.FirstOrDefault(o => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(o))) == originHash);
    return log is not null && state.Get(log) is { } latest ? Results.Text(latest.Checkpoint, "text/plain; charset=utf-8") : Results.NotFound();
});

app.MapGet("/", () => Results.Text(cosigner.VerifierKey + "\n"));
app.Lifetime.ApplicationStarted.Register(() => app.Logger.LogInformation("Witness {Name} ({VerifierKey}) witnessing {Logs}.", cosigner.Name, cosigner.VerifierKey, string.Join(", ", logs.Keys)));
await app.RunAsync();
return 0;

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 1;
}
