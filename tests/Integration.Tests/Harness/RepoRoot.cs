namespace Troupe.Integration.Tests.Harness;

/// <summary>The repository root: the folder that holds <c>Actors.sln</c>, found by walking up from the test binary.</summary>
public static class RepoRoot
{
    private static readonly Lazy<string> Root = new(Find);

    public static string Path => Root.Value;

    /// <summary>The <c>./troupe</c> wrapper at the root.</summary>
    public static string Troupe => System.IO.Path.Combine(Path, "troupe");

    public static string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "Actors.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no Actors.sln above {AppContext.BaseDirectory}");
    }
}
