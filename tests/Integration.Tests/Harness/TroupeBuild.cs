using Xunit.Sdk;

namespace Troupe.Integration.Tests.Harness;

/// <summary>
/// Makes sure <c>./troupe</c> has built the shell and the node program before any test times a command:
/// runs <c>./troupe version</c> once per test run (the wrapper builds on first use).
/// </summary>
public static class TroupeBuild
{
    private static readonly Lazy<CliResult> Version = new(() =>
    {
        if (!File.Exists(RepoRoot.Troupe))
            throw new XunitException($"{RepoRoot.Troupe} does not exist: the ./troupe wrapper is missing");
        var home = Directory.CreateTempSubdirectory("troupe-it-build-").FullName;
        try
        {
            return ProcessRunner.Run(RepoRoot.Troupe, ["version"], TroupeCli.Environment(home), TimeSpan.FromMinutes(10));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    });

    public static CliResult EnsureBuilt()
    {
        var r = Version.Value;
        if (r.ExitCode != 0) throw new XunitException($"./troupe version failed (the wrapper could not build?)\n{r}");
        return r;
    }
}
