using ReferralNetwork.Api.Resources;

namespace ReferralNetwork.Api.Strictness;

/// <summary>The messages of strict input, in JSON terms (they name what to send, never a CLR type), in the caller's language.</summary>
public static class StrictMessages
{
    public static string UnknownMember => ProblemTexts.Get("UnknownMember");
    public static string WrongType(string expected) => ProblemTexts.Format("WrongType", expected);
    public static string KindString => ProblemTexts.Get("KindString");
    public static string KindBoolean => ProblemTexts.Get("KindBoolean");
    public static string KindUuid => ProblemTexts.Get("KindUuid");
    public static string KindInteger => ProblemTexts.Get("KindInteger");
    public static string KindNumber => ProblemTexts.Get("KindNumber");
    public static string KindDateTime => ProblemTexts.Get("KindDateTime");
    public static string KindDate => ProblemTexts.Get("KindDate");
    public static string KindArray => ProblemTexts.Get("KindArray");
    public static string KindObject => ProblemTexts.Get("KindObject");
    public static string NotJson(string where) => ProblemTexts.Format("NotJson", where);
    public static string BodyRequired => ProblemTexts.Get("BodyRequired");
    public static string Unreadable => ProblemTexts.Get("ValueUnreadable");
    public static string ParameterRequired => ProblemTexts.Get("ParameterRequired");
}
