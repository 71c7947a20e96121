using ReferralNetwork.Domain;
using ReferralNetwork.Domain.Referrals;

namespace ReferralNetwork.Domain.Tests.Referrals;

/// <summary>
/// DESIGN §4 copied by hand as a grid, deliberately not derived from the production table: the tests compare two
/// independent writings of the same rules. A cell is <c>-</c> (no one may) or <c>party&gt;target</c>;
/// complete's target assumes the outcome <c>service_provided</c> (outcomes have their own tests).
/// </summary>
internal static class ExpectedLifecycle
{
    private const string Grid = """
        from        | acknowledge  | accept       | decline      | redirect       | start           | hold        | resume          | complete      | withdraw
        requested   | rcv>received | rcv>accepted | rcv>rejected | rcv>redirected | -               | -           | -               | -             | ref>cancelled
        received    | -            | rcv>accepted | rcv>rejected | rcv>redirected | -               | -           | -               | -             | ref>cancelled
        accepted    | -            | -            | -            | -              | rcv>in-progress | rcv>on-hold | -               | rcv>completed | ref>cancelled
        in-progress | -            | -            | -            | -              | -               | rcv>on-hold | -               | rcv>completed | ref>cancelled
        on-hold     | -            | -            | -            | -              | -               | -           | rcv>in-progress | rcv>completed | ref>cancelled
        completed   | -            | -            | -            | -              | -               | -           | -               | -             | -
        failed      | -            | -            | -            | -              | -               | -           | -               | -             | -
        rejected    | -            | -            | -            | -              | -               | -           | -               | -             | -
        cancelled   | -            | -            | -            | -              | -               | -           | -               | -             | -
        redirected  | -            | -            | -            | -              | -               | -           | -               | -             | -
        """;

    /// <summary>(from, action) → who may and where it leads; pairs absent here are illegal for everyone.</summary>
    public static readonly IReadOnlyDictionary<(ReferralStatus From, ReferralAction Action), (Party Actor, ReferralStatus To)> Cells = Parse();

    public static readonly IReadOnlyList<ReferralStatus> Statuses = Enum.GetValues<ReferralStatus>();

    public static readonly IReadOnlyList<ReferralAction> Actions = Enum.GetValues<ReferralAction>();

    public static readonly IReadOnlyList<Party> Parties = Enum.GetValues<Party>();

    public static IReadOnlyList<ReferralAction> AllowedFor(ReferralStatus status, Party party) =>
        [.. Actions.Where(a => Cells.TryGetValue((status, a), out var cell) && cell.Actor == party).Order()];

    private static Dictionary<(ReferralStatus, ReferralAction), (Party, ReferralStatus)> Parse()
    {
        var rows = Grid.Split('\n').Select(line => line.Split('|').Select(cell => cell.Trim()).ToArray()).ToArray();
        var actions = rows[0][1..].Select(Wire.Parse<ReferralAction>).ToArray();
        var cells = new Dictionary<(ReferralStatus, ReferralAction), (Party, ReferralStatus)>();
        foreach (var row in rows[1..])
        {
            var from = Wire.Parse<ReferralStatus>(row[0]);
            for (var i = 0; i < actions.Length; i++)
            {
                if (row[i + 1] == "-")
                {
                    continue;
                }
                var (party, to) = (row[i + 1][..3], row[i + 1][4..]);
                cells.Add((from, actions[i]), (party == "rcv" ? Party.Receiver : Party.Referrer, Wire.Parse<ReferralStatus>(to)));
            }
        }
        return cells;
    }
}
