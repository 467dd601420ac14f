using System.Diagnostics;

namespace Troupe.Shell.Commands;

/// <summary>
/// Where the node host program (<c>troupe-node</c>) is: <c>TROUPE_NODE</c> (the executable or its dll), else
/// <c>&lt;dir of troupe&gt;/../node/troupe-node</c>. INTERNAL API.
/// </summary>
internal static class NodeProgram
{
    public static string Locate(ShellContext ctx)
    {
        if (ctx.Env("TROUPE_NODE") is { Length: > 0 } configured)
        {
            var full = Path.GetFullPath(configured);
            if (!File.Exists(full)) throw ShellException.User($"TROUPE_NODE={configured}: no such file");
            return full;
        }
        var exe = Environment.ProcessPath ?? AppContext.BaseDirectory;
        var dir = Path.GetDirectoryName(exe) ?? ".";
        var candidate = Path.GetFullPath(Path.Combine(dir, "..", "node", "troupe-node"));
        if (File.Exists(candidate)) return candidate;
        if (File.Exists(candidate + ".dll")) return candidate + ".dll";
        throw ShellException.User($"cannot find the node program at {candidate} (set TROUPE_NODE to the troupe-node executable)");
    }

    /// <summary>The file and arguments that run <paramref name="program"/> (a dll runs through <c>dotnet</c>).</summary>
    public static (string File, List<string> Args) Command(string program, IEnumerable<string> args) =>
        program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? ("dotnet", [program, .. args])
            : (program, [.. args]);
}

/// <summary><c>troupe node ...</c> and <c>troupe lighthouse ...</c>: the node program in the foreground.</summary>
internal static class NodeCommand
{
    public static int Run(ShellContext ctx, string mode, IReadOnlyList<string> argv)
    {
        var program = NodeProgram.Locate(ctx);
        var (file, args) = NodeProgram.Command(program, [mode, .. argv]);
        var psi = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        ctx.Out.Flush();
        using var p = Process.Start(psi) ?? throw ShellException.User($"cannot start {file}");
        p.WaitForExit();
        return p.ExitCode;
    }
}
