namespace ReferralNetwork.Api.Tests.Infrastructure;

public static class Repository
{
    /// <summary>The checkout's root (where ReferralNetwork.sln is), found upwards from the test binaries.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ReferralNetwork.sln"))) return dir.FullName;
        throw new InvalidOperationException("ReferralNetwork.sln not found above " + AppContext.BaseDirectory);
    }
}
