using System.Diagnostics;
using System.Text;
using Troupe.Api.Protocol;
using Troupe.Shell.Connection;

namespace Troupe.Shell.Commands;

/// <summary>
/// <c>troupe up [--driver runc|process|fake]</c>: starts the node program in the background (a new session, stdio
/// on <c>$TROUPE_HOME/node.log</c> and /dev/null, so it outlives the shell and holds none of its streams) and
/// returns once the node accepts commands: <c>node.json</c> written and a <see cref="Ping"/> answered.
/// </summary>
internal static class UpCommand
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    static readonly Flag[] Flags =
    [
        Common.Help, Flag.Value("driver", "--driver"), Flag.Value("name", "--name"), Flag.Value("port", "--port"),
        Flag.Value("api-port", "--api-port"), Flag.Value("cluster-name", "--cluster-name"), Flag.Many("config", "--config"),
    ];

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, Flags);
        if (Common.HelpWanted(ctx, a, "up [--driver runc|process|fake] [--name N] [--api-port A] [--cluster-name C]")) return 0;
        if (a.Positionals.Count > 0) throw ShellException.Usage($"unexpected argument \"{a.Positionals[0]}\" for \"troupe up\"");
        if (a.Get("driver") is { } d && d is not ("runc" or "process" or "fake"))
            throw ShellException.Usage($"unknown driver \"{d}\" (expected runc, process or fake)");

        var home = ctx.Home;
        var logPath = Path.Combine(home, "node.log");
        long logStart;
        try
        {
            Directory.CreateDirectory(home);
            using var log = new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            logStart = log.Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ShellException.User($"TROUPE_HOME={home}: {NodeClient.OneLine(e.Message)}");
        }

        if (NodeFile.Read(home) is { } existing)
        {
            if (Processes.IsAlive(existing.Pid))
            {
                try
                {
                    if (ctx.Client.Send(new Ping(), TimeSpan.FromSeconds(5)) is Pong)
                    {
                        ctx.Out.WriteLine($"Troupe node already running (pid {existing.Pid})");
                        return 0;
                    }
                }
                catch (ShellException) { /* not answering: treat as stale; the node's own lock stops a second one */ }
            }
            try { File.Delete(NodeFile.PathIn(home)); } catch (IOException) { }
        }

        var program = NodeProgram.Locate(ctx);
        var nodeArgs = new List<string> { "up" };
        foreach (var key in (string[])["driver", "name", "port", "api-port", "cluster-name"])
            if (a.Get(key) is { } v) nodeArgs.AddRange(["--" + key, v]);
        foreach (var c in a.All("config")) nodeArgs.AddRange(["--config", Path.GetFullPath(c)]);
        var (file, args) = NodeProgram.Command(program, nodeArgs);

        using var process = StartDetached(file, args, logPath, home);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                var text = ReadFrom(logPath, logStart);
                var error = LastLine(text, "error:");
                throw ShellException.User(error is not null
                    ? error["error:".Length..].Trim()
                    : $"the Troupe node exited with code {process.ExitCode} before it accepted commands (see {logPath})");
            }
            if (NodeFile.Read(home) is { } nf && Processes.IsAlive(nf.Pid))
            {
                ctx.ResetClient();
                try
                {
                    if (ctx.Client.Send(new Ping(), TimeSpan.FromSeconds(5)) is Pong pong)
                    {
                        foreach (var line in Lines(ReadFrom(logPath, logStart), "warning:")) ctx.Err.WriteLine(line);
                        ctx.Out.WriteLine($"Troupe node {pong.NodeName} is up (driver {pong.Driver}, socket {nf.Socket})");
                        return 0;
                    }
                }
                catch (ShellException) { /* not yet */ }
            }
            Thread.Sleep(50);
        }
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        throw ShellException.User($"the Troupe node did not accept commands within {StartTimeout.TotalSeconds:0} s (see {logPath})");
    }

    /// <summary>
    /// <c>setsid sh -c 'exec NODE ARGS &lt;/dev/null &gt;&gt;LOG 2&gt;&amp;1'</c>: the shell's child is not a process
    /// group leader, so setsid makes the new session without forking and the Process's pid is the node's.
    /// </summary>
    static Process StartDetached(string file, List<string> args, string logPath, string home)
    {
        var setsid = File.Exists("/usr/bin/setsid") ? "/usr/bin/setsid" : File.Exists("/bin/setsid") ? "/bin/setsid" : null;
        var shell = File.Exists("/bin/bash") ? "/bin/bash" : "/bin/sh";
        var psi = new ProcessStartInfo(setsid ?? shell) { UseShellExecute = false, WorkingDirectory = home };
        if (setsid is not null) psi.ArgumentList.Add(shell);
        // bash closes every inherited descriptor above 2 (a caller's pipes must not stay open in the daemon)
        const string script = """
            log=$1; shift
            if [ -n "$BASH_VERSION" ]; then for f in /proc/self/fd/*; do f=${f##*/}; [ "$f" -gt 2 ] 2>/dev/null && eval "exec $f>&-" 2>/dev/null; done; fi
            exec "$@" </dev/null >>"$log" 2>&1
            """;
        foreach (var x in (string[])["-c", script, "troupe-up", logPath, file])
            psi.ArgumentList.Add(x);
        foreach (var x in args) psi.ArgumentList.Add(x);
        return Process.Start(psi) ?? throw ShellException.User($"cannot start {file}");
    }

    static string ReadFrom(string path, long offset)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (fs.Length <= offset) return "";
            fs.Seek(offset, SeekOrigin.Begin);
            using var r = new StreamReader(fs, Encoding.UTF8);
            return r.ReadToEnd();
        }
        catch (IOException) { return ""; }
    }

    static IEnumerable<string> Lines(string text, string prefix) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith(prefix, StringComparison.Ordinal));

    static string? LastLine(string text, string prefix) => Lines(text, prefix).LastOrDefault();
}
