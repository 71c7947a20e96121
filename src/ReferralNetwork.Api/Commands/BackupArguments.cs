namespace ReferralNetwork.Api.Commands;

/// <summary>
/// The arguments of <c>backup</c>, <c>restore</c> and <c>verify-backup</c>: one file, and <c>--checkpoint N --root HEX</c>.
/// Any other <c>--name value</c> pair is configuration (<c>--urls</c>, <c>--Database:Provider sqlite</c>) and is skipped here,
/// value included, so that a value is never mistaken for the file.
/// </summary>
public sealed record BackupArguments(string? File, long? Checkpoint, string? Root, string? Error)
{
    public static BackupArguments Parse(IReadOnlyList<string> args)
    {
        string? file = null, root = null, error = null, checkpointText = null;
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-'))
            {
                if (file is null) file = arg;
                else error ??= $"one file only, not '{file}' and '{arg}'";
                continue;
            }
            var equals = arg.IndexOf('=');
            var name = equals < 0 ? arg : arg[..equals];
            var value = equals >= 0 ? arg[(equals + 1)..] : i + 1 < args.Count ? args[++i] : null;
            if (name == "--checkpoint") checkpointText = value;
            else if (name == "--root") root = value;
        }
        long? checkpoint = null;
        if (checkpointText is not null)
        {
            if (long.TryParse(checkpointText, out var sequence) && sequence > 0) checkpoint = sequence;
            else error ??= $"--checkpoint takes a checkpoint sequence (a positive number), not '{checkpointText}'";
        }
        if (root is not null && (root.Length != 64 || !root.All(Uri.IsHexDigit)))
            error ??= $"--root takes the checkpoint's root hash (64 hex digits), not '{root}'";
        if ((checkpointText is null) != (root is null)) error ??= "--checkpoint and --root go together: the anchor is a sequence and its root";
        return new BackupArguments(file, checkpoint, root?.ToLowerInvariant(), error);
    }
}
