using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace ReferralNetwork.Api.Strictness;

/// <summary>
/// Bodies are strict (DESIGN §7): before the body is bound, its JSON is walked against the shape the endpoint reads,
/// taken from the serializer's own metadata (so names and casing are exactly what binding would use). Every member the
/// shape does not have and every value of the wrong JSON kind is named in one 400 <c>errors</c> map — a partner's typo
/// (<c>person.externalRefs</c>) or a pasted answer (<c>status</c>, <c>version</c>) is an error, never data silently lost.
/// Endpoints that read no body accept nothing or <c>{}</c>. What only the binder can judge (a time's format) it still
/// judges; <see cref="ErrorHandling.ProblemExceptionHandler"/> names that member too.
/// </summary>
public sealed class StrictBodyMiddleware(RequestDelegate next, IOptions<JsonOptions> json)
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var endpoint = context.GetEndpoint();
        // A document upload (StreamedBody) is never buffered here: whatever it claims to be, it goes to the handler as it streams.
        if (endpoint is null || endpoint.Metadata.GetMetadata<Endpoints.StreamedBody>() is not null || !request.HasJsonContentType() || HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        {
            await next(context);
            return;
        }
        var shape = endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType ?? typeof(EmptyBody);
        request.EnableBuffering();
        JsonDocument? document = null;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, DocumentOptions, context.RequestAborted);
        }
        catch (JsonException e) when (request.Body.Position > 0)
        {
            // The reader's messages say where the syntax broke, and name no types.
            request.Body.Position = 0;
            throw new ValidationException([new ValidationFailure("body", StrictMessages.NotJson(Line(e.Message)))]);
        }
        catch (JsonException)
        {
            // Empty: the binder answers that a body is required, or binds nothing to an optional one.
        }
        request.Body.Position = 0;
        if (document is not null)
        {
            using (document)
            {
                var failures = new List<ValidationFailure>();
                try
                {
                    new ShapeWalker(json.Value.SerializerOptions, failures).Check(document.RootElement, shape, "");
                }
                catch (InvalidOperationException)
                {
                    // The reader checks UTF-8 only when a string is read: a name or value that is not UTF-8.
                    failures = [new ValidationFailure("body", StrictMessages.NotJson("it is not UTF-8."))];
                }
                if (failures.Count > 0) throw new ValidationException(failures);
            }
        }
        await next(context);
    }

    private static string Line(string message)
    {
        var clean = new string(message.Where(c => !char.IsControl(c)).ToArray());
        return clean.Length > 200 ? clean[..200] : clean;
    }
}

/// <summary>The body of an operation that takes none: nothing, or <c>{}</c>.</summary>
public sealed record EmptyBody;

/// <summary>Compares a JSON value with the type it is bound to, collecting every difference with its JSON path.</summary>
internal sealed class ShapeWalker(JsonSerializerOptions options, List<ValidationFailure> failures)
{
    private const int MaxFailures = 50;

    public void Check(JsonElement element, Type type, string path)
    {
        if (failures.Count >= MaxFailures) return;
        var underlying = Nullable.GetUnderlyingType(type);
        if (element.ValueKind == JsonValueKind.Null)
        {
            // null is a value of every nullable member; the validators say which may be absent.
            if (underlying is null && type.IsValueType) Fail(path, StrictMessages.WrongType(Expected(type)));
            return;
        }
        type = underlying ?? type;
        if (type == typeof(JsonElement) || type == typeof(object) || typeof(System.Text.Json.Nodes.JsonNode).IsAssignableFrom(type)) return;
        if (type == typeof(string)) { Expect(element, JsonValueKind.String, type, path); return; }
        if (type == typeof(bool)) { if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) Fail(path, StrictMessages.WrongType(Expected(type))); return; }
        if (type == typeof(Guid))
        {
            if (element.ValueKind != JsonValueKind.String || !Guid.TryParseExact(element.GetString(), "D", out _)) Fail(path, StrictMessages.WrongType(Expected(type)));
            return;
        }
        if (type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte))
        {
            var fits = element.ValueKind == JsonValueKind.Number && (type == typeof(int) ? element.TryGetInt32(out _)
                : type == typeof(long) ? element.TryGetInt64(out _) : type == typeof(short) ? element.TryGetInt16(out _) : element.TryGetByte(out _));
            if (!fits) Fail(path, StrictMessages.WrongType(Expected(type)));
            return;
        }
        if (type == typeof(double) || type == typeof(decimal) || type == typeof(float)) { Expect(element, JsonValueKind.Number, type, path); return; }
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(DateOnly)) { Expect(element, JsonValueKind.String, type, path); return; }
        if (type.IsEnum) return; // bound by a converter of its own

        var info = options.GetTypeInfo(type);
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                if (!Expect(element, JsonValueKind.Object, type, path)) return;
                if (info.Properties.Any(p => p.IsExtensionData)) return;
                var comparison = options.PropertyNameCaseInsensitive ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
                foreach (var member in element.EnumerateObject())
                {
                    var memberPath = path.Length == 0 ? member.Name : $"{path}.{member.Name}";
                    var property = info.Properties.FirstOrDefault(p => comparison.Equals(p.Name, member.Name) && (p.Set is not null || p.AssociatedParameter is not null));
                    if (property is null) Fail(memberPath, StrictMessages.UnknownMember);
                    else Check(member.Value, property.PropertyType, memberPath);
                }
                return;
            case JsonTypeInfoKind.Enumerable when info.ElementType is { } elementType:
                if (!Expect(element, JsonValueKind.Array, type, path)) return;
                var index = 0;
                foreach (var item in element.EnumerateArray()) Check(item, elementType, $"{path}[{index++}]");
                return;
            case JsonTypeInfoKind.Dictionary when info.ElementType is { } valueType:
                if (!Expect(element, JsonValueKind.Object, type, path)) return;
                foreach (var member in element.EnumerateObject()) Check(member.Value, valueType, path.Length == 0 ? member.Name : $"{path}.{member.Name}");
                return;
            default:
                return; // a type with a converter of its own: the binder judges it
        }
    }

    private bool Expect(JsonElement element, JsonValueKind kind, Type type, string path)
    {
        if (element.ValueKind == kind) return true;
        Fail(path, StrictMessages.WrongType(Expected(type)));
        return false;
    }

    private void Fail(string path, string message) => failures.Add(new ValidationFailure(path.Length == 0 ? "body" : path, message));

    /// <summary>What a client should send, in JSON terms (never a CLR type name).</summary>
    public static string Expected(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return StrictMessages.KindString;
        if (type == typeof(bool)) return StrictMessages.KindBoolean;
        if (type == typeof(Guid)) return StrictMessages.KindUuid;
        if (type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte)) return StrictMessages.KindInteger;
        if (type == typeof(double) || type == typeof(decimal) || type == typeof(float)) return StrictMessages.KindNumber;
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime)) return StrictMessages.KindDateTime;
        if (type == typeof(DateOnly)) return StrictMessages.KindDate;
        if (type != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(type)
            && !type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>))
            && !(type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>))) return StrictMessages.KindArray;
        return StrictMessages.KindObject;
    }
}
