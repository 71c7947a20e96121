namespace ReferralNetwork.Api.Strictness;

/// <summary>The messages of strict input, in JSON terms: they name what to send, never a CLR type.</summary>
public static class StrictMessages
{
    public static string UnknownMember => "This member is not part of the request; remove it (see the contract for the members this operation reads).";
    public static string WrongType(string expected) => $"The value must be {expected}.";
    public static string KindString => "a string";
    public static string KindBoolean => "true or false";
    public static string KindUuid => "a UUID (8-4-4-4-12 hexadecimal digits)";
    public static string KindInteger => "an integer within range";
    public static string KindNumber => "a number";
    public static string KindDateTime => "an ISO 8601 date-time with an offset (e.g. 2026-11-02T08:00:00Z)";
    public static string KindDate => "an ISO 8601 date (e.g. 2026-11-02)";
    public static string KindArray => "an array";
    public static string KindObject => "an object";
    public static string NotJson(string where) => $"The body is not valid JSON: {where}";
    public static string BodyRequired => "A JSON body is required.";
    public static string Unreadable => "The value cannot be read here.";
}
