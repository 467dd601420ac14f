namespace Troupe.Shell.Tests;

/// <summary>Runs the shell in-process with its own environment; captures both streams.</summary>
public sealed record ShellRun(int ExitCode, string Stdout, string Stderr)
{
    public static ShellRun Of(string home, params string[] args) => Of(new Dictionary<string, string?> { ["TROUPE_HOME"] = home }, args);

    public static ShellRun Of(Dictionary<string, string?> env, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = Cli.Run(args, o, e, env);
        return new ShellRun(code, o.ToString(), e.ToString());
    }

    /// <summary>stderr is exactly one line starting with <c>error: </c>.</summary>
    public string ErrorLine
    {
        get
        {
            var lines = Stderr.TrimEnd('\n').Split('\n');
            Xunit.Assert.True(lines.Length == 1, $"expected one line on stderr, got: {Stderr}");
            Xunit.Assert.StartsWith("error: ", lines[0]);
            return lines[0];
        }
    }
}

/// <summary>A fresh empty TROUPE_HOME under /tmp.</summary>
public sealed class TempHome : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("troupe-shell-spec-").FullName;
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
