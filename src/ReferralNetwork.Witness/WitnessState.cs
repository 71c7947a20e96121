using System.Text.Json;

namespace ReferralNetwork.Witness;

/// <summary>What the witness remembers of one log: the latest checkpoint it cosigned (size, root, the note with both signatures).</summary>
public sealed record LogState(long Size, string Root, string Checkpoint);

/// <summary>
/// The witness's memory, one JSON file. Check-and-update is atomic (c2sp.org/tlog-witness requires it: two requests
/// checked against the same old size must not both be accepted, or the second would roll the first back), and the
/// file is replaced atomically and flushed to disk before the cosignature leaves.
/// </summary>
public sealed class WitnessState
{
    private readonly string _path;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private Dictionary<string, LogState> _logs;

    public WitnessState(string path)
    {
        _path = Path.GetFullPath(path);
        _logs = File.Exists(_path)
            ? JsonSerializer.Deserialize<Dictionary<string, LogState>>(File.ReadAllText(_path)) ?? []
            : [];
    }

    public LogState? Get(string origin)
    {
        lock (_logs) return _logs.GetValueOrDefault(origin);
    }

    /// <summary>Runs decide under the lock with the stored state; when it returns a new state, that state is persisted before the lock is released.</summary>
    public async Task<T> UpdateAsync<T>(string origin, Func<LogState?, (LogState? Next, T Result)> decide)
    {
        await _lock.WaitAsync();
        try
        {
            var (next, result) = decide(Get(origin));
            if (next is null) return result;
            Dictionary<string, LogState> copy;
            lock (_logs) copy = new Dictionary<string, LogState>(_logs) { [origin] = next };
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            var temp = _path + ".tmp";
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                await JsonSerializer.SerializeAsync(file, copy);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, _path, overwrite: true);
            lock (_logs) _logs = copy;
            return result;
        }
        finally
        {
            _lock.Release();
        }
    }
}
