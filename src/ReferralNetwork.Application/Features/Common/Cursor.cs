using System.Buffers.Text;
using System.Text;
using FluentValidation;
using FluentValidation.Results;

namespace ReferralNetwork.Application.Features.Common;

/// <summary>
/// An opaque keyset position: the (time, id) of the last row of a page. Clients pass it back untouched; anything
/// else is a 400, never a 500.
/// </summary>
public readonly record struct Cursor(DateTimeOffset At, Guid Id)
{
    public string Encode() => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{At.UtcTicks}:{Id:N}"));

    public static Cursor? Decode(string? value, string field = "cursor")
    {
        if (string.IsNullOrEmpty(value)) return null;
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value));
            var parts = text.Split(':');
            if (parts.Length == 2 && long.TryParse(parts[0], out var ticks) && ticks >= TimeBounds.Earliest.UtcTicks && ticks < TimeBounds.Latest.UtcTicks
                && Guid.TryParseExact(parts[1], "N", out var id))
                return new Cursor(new DateTimeOffset(ticks, TimeSpan.Zero), id);
        }
        catch (FormatException)
        {
        }
        throw new ValidationException([new ValidationFailure(field, "The cursor is not one this API issued.")]);
    }
}

public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

public static class Paging
{
    public const int DefaultLimit = 25;
    public const int MaxLimit = 100;
}
