using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ReferralNetwork.Application.Features.Common;

namespace ReferralNetwork.Api;

/// <summary>
/// Times go out as UTC with a Z and microseconds (the precision stored); any ISO 8601 offset is accepted in, within
/// <see cref="TimeBounds"/> (outside them the body is a 400 naming the member, like any other unreadable value).
/// </summary>
public sealed class UtcTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var time = reader.GetDateTimeOffset().ToUniversalTime();
        return TimeBounds.Contains(time) ? time : throw new JsonException($"A time must lie {TimeBounds.Description}.");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
}
