using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Serialization;

namespace ReferralNetwork.Domain;

/// <summary>
/// The one mapping between domain enums and the strings the contract and the database use
/// (<c>in-progress</c>, <c>centre_for_social_work</c>). The JSON converter reads the same attributes,
/// so what is stored and what is sent can never drift apart.
/// </summary>
public static class Wire
{
    private static readonly ConcurrentDictionary<Type, (Dictionary<object, string> ToWire, Dictionary<string, object> FromWire)> Maps = new();

    public static string Code<T>(this T value) where T : struct, Enum => Map(typeof(T)).ToWire[value];

    public static T Parse<T>(string code) where T : struct, Enum =>
        TryParse<T>(code, out var value) ? value : throw new ArgumentException($"'{code}' is not a {typeof(T).Name}.", nameof(code));

    public static bool TryParse<T>(string? code, out T value) where T : struct, Enum
    {
        if (code is not null && Map(typeof(T)).FromWire.TryGetValue(code, out var found))
        {
            value = (T)found;
            return true;
        }
        value = default;
        return false;
    }

    public static IReadOnlyCollection<string> Codes<T>() where T : struct, Enum => Map(typeof(T)).FromWire.Keys;

    private static (Dictionary<object, string> ToWire, Dictionary<string, object> FromWire) Map(Type type) => Maps.GetOrAdd(type, static t =>
    {
        var to = new Dictionary<object, string>();
        var from = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var field in t.GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var code = field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? SnakeCase(field.Name);
            var value = field.GetValue(null)!;
            to[value] = code;
            from[code] = value;
        }
        return (to, from);
    });

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
