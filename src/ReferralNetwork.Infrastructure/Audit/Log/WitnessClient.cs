using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReferralNetwork.Application.Abstractions;
using ReferralNetwork.Infrastructure.Persistence;
using ReferralNetwork.Transparency;

namespace ReferralNetwork.Infrastructure.Audit.Log;

/// <summary>The last answer a witness gave this process (for verify's report and the logs).</summary>
public sealed record WitnessAttempt(DateTimeOffset At, int? Status, long? WitnessSize, string Detail);

/// <summary>
/// Collects cosignatures from the configured witnesses (c2sp.org/tlog-witness add-checkpoint). For each witness the
/// old size is the largest size it cosigned for us (0 at first), sent with the RFC 9162 consistency proof from there.
/// A 409 names the size the witness last cosigned: the request is made once more from that size when our log can
/// prove it; a witness that has cosigned a larger tree than ours, or that refuses the proof (422), is evidence that
/// this log was rolled back or forked and is logged as an error. Only cosignatures that verify with the witness's
/// configured key are stored. Witness URLs are set by the operator, so the webhook address rules do not apply.
/// </summary>
public sealed class WitnessClient(ConnectionFactory factory, LogIdentity identity, IOptions<TransparencyLogOptions> options, Clock clock, ILogger<WitnessClient> logger)
    : IDisposable
{
    public const string SizeContentType = "text/x.tlog.size";
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = options.Value.WitnessTimeout,
    };
    private readonly ConcurrentDictionary<string, WitnessAttempt> _attempts = new(StringComparer.Ordinal);

    public WitnessAttempt? LastAttempt(string witness) => _attempts.GetValueOrDefault(witness);

    public async Task CollectAsync(LogCheckpointRow head, CancellationToken ct)
    {
        foreach (var witness in identity.Witnesses)
        {
            try
            {
                await CollectAsync(witness, head, ct);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                Record(witness, null, null, $"unreachable: {e.Message}");
                logger.LogWarning("Witness {Witness} could not be reached for the audit log's checkpoint at size {Size}: {Error}", witness.Name, head.TreeSize, e.Message);
            }
        }
    }

    private async Task CollectAsync(Witness witness, LogCheckpointRow head, CancellationToken ct)
    {
        await using var connection = await factory.OpenAsync(ct);
        var old = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MAX(tree_size) FROM audit_log_cosignatures WHERE witness_name = @Name", new { witness.Name }, cancellationToken: ct)) ?? 0;
        if (old == head.TreeSize) return;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (old > head.TreeSize)
            {
                Record(witness, 409, old, $"the witness cosigned size {old}, larger than this log's newest head {head.TreeSize}");
                logger.LogError("Witness {Witness} has cosigned the audit log at size {WitnessSize}, but the log's newest head is {Size}: the log was rolled back. Run GET /api/v1/audit/verify.",
                    witness.Name, old, head.TreeSize);
                return;
            }
            var proof = await LogNodes.RangeHashesAsync(connection, null, LogTree.ConsistencyRanges(old, head.TreeSize), ct);
            var body = new StringBuilder().Append(CultureInfo.InvariantCulture, $"old {old}\n");
            foreach (var hash in proof) body.Append(Convert.ToBase64String(hash)).Append('\n');
            body.Append('\n').Append(head.Note);
            using var content = new StringContent(body.ToString(), Encoding.UTF8, "text/plain");
            using var response = await _http.PostAsync(witness.AddCheckpoint, content, ct);
            var answer = await response.Content.ReadAsStringAsync(ct);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    await StoreAsync(witness, head, answer, ct);
                    return;
                case HttpStatusCode.Conflict when long.TryParse(answer.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size):
                    Record(witness, 409, size, $"the witness's latest cosigned size is {size}, not {old}");
                    logger.LogWarning("Witness {Witness} answered 409: its latest cosigned size of the audit log is {WitnessSize}, not {Old}.", witness.Name, size, old);
                    if (size == old) return;
                    old = size;
                    continue;
                default:
                    Record(witness, (int)response.StatusCode, null, Trim(answer));
                    logger.LogError("Witness {Witness} refused the audit log's checkpoint at size {Size} (from {Old}) with {Status}: {Answer}. A 422 means the witness saw a different tree: the log was forked or rolled back.",
                        witness.Name, head.TreeSize, old, (int)response.StatusCode, Trim(answer));
                    return;
            }
        }
    }

    private async Task StoreAsync(Witness witness, LogCheckpointRow head, string answer, CancellationToken ct)
    {
        var text = SignedNote.Parse(head.Note).Text;
        IReadOnlyList<NoteSignature> lines;
        try { lines = SignedNote.ParseSignatureLines(answer); }
        catch (FormatException e)
        {
            Record(witness, 200, null, $"unparsable answer: {e.Message}");
            return;
        }
        // Unknown keys are ignored (the spec allows a witness several); ours must verify.
        var cosignature = lines.Select(l => (Line: l, Time: Cosigner.Verify(witness.Name, witness.PublicKey, text, l))).FirstOrDefault(c => c.Time is not null);
        if (cosignature.Time is not { } time)
        {
            Record(witness, 200, null, "no cosignature in the answer verifies with the configured key");
            logger.LogError("Witness {Witness} answered without a cosignature that verifies with its configured key.", witness.Name);
            return;
        }
        var slot = await factory.SoloWriteAsync(ct);
        try
        {
            await using var connection = await factory.OpenAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition(
                factory.Dialect.InsertIfAbsent("audit_log_cosignatures", "tree_size, witness_name, signature_line, cosigned_at", "@TreeSize, @Name, @Line, @At", "tree_size, witness_name"),
                new { head.TreeSize, witness.Name, Line = cosignature.Line.Line().TrimEnd('\n'), At = DateTimeOffset.FromUnixTimeSeconds(time) }, cancellationToken: ct));
        }
        finally
        {
            if (slot is not null) await slot.DisposeAsync();
        }
        Record(witness, 200, head.TreeSize, "cosigned");
        logger.LogInformation("Witness {Witness} cosigned the audit log's checkpoint at size {Size}.", witness.Name, head.TreeSize);
    }

    private void Record(Witness witness, int? status, long? size, string detail) => _attempts[witness.Name] = new WitnessAttempt(clock.Now(), status, size, detail);

    private static string Trim(string text) => text.Length <= 200 ? text.Trim() : text[..200].Trim();

    public void Dispose() => _http.Dispose();
}
