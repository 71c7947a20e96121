namespace ReferralNetwork.Domain.Tests;

/// <summary>xunit 2's TheoryData takes no tuples; these let a test build its rows with LINQ.</summary>
internal static class TheoryRows
{
    public static TheoryData<T1, T2> Of<T1, T2>(IEnumerable<(T1, T2)> rows)
    {
        var data = new TheoryData<T1, T2>();
        foreach (var (a, b) in rows)
        {
            data.Add(a, b);
        }
        return data;
    }

    public static TheoryData<T1, T2, T3> Of<T1, T2, T3>(IEnumerable<(T1, T2, T3)> rows)
    {
        var data = new TheoryData<T1, T2, T3>();
        foreach (var (a, b, c) in rows)
        {
            data.Add(a, b, c);
        }
        return data;
    }
}
