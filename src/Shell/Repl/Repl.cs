using System.Runtime.InteropServices;
using System.Text;
using Troupe.Api.Protocol;
using Troupe.Shell.Commands;

namespace Troupe.Shell.Repl;

/// <summary>
/// <c>troupe shell</c>: the verbs of the command line, one line at a time, over one context (one node found
/// once: <c>node.json</c>, or <c>--cluster</c>/<c>TROUPE_CLUSTER</c>). It asks the node for a <see cref="Pong"/>
/// first (no node: exit 3, as every verb), prints a banner on stderr, then reads lines: with the line editor
/// when stdin and stdout are a terminal, else plainly from stdin (a script, a pipe) with no prompt.
/// </summary>
internal static class ReplCommand
{
    public const string Prompt = "troupe> ";

    const string Usage = "shell [--cluster host:port[,host:port]]";

    public static int Run(ShellContext ctx, IReadOnlyList<string> argv)
    {
        var a = Args.Parse(argv, 0, [Common.Help]);
        if (Common.HelpWanted(ctx, a, Usage)) return 0;
        if (a.Positionals.Count > 0) throw ShellException.Usage($"unexpected argument \"{a.Positionals[0]}\": troupe {Usage}");
        if (ctx.InShell) throw ShellException.User("this is troupe shell already");

        var pong = Common.Expect<Pong>(ctx.Client.Send(new Ping(), TimeSpan.FromSeconds(5)));
        ctx.Err.WriteLine($"troupe shell: node {pong.NodeName} at {pong.Address} (troupe {pong.Version}, driver {pong.Driver}); " +
            "help lists the verbs, exit or Ctrl-D leaves");

        var interactive = ctx.StdinIsTerminal && ctx.IsTerminal;
        Func<string?> read;
        if (interactive)
        {
            var editor = new LineEditor(new ConsoleTerminal(ctx.Out), History.Load(Path.Combine(ctx.Home, "shell_history")),
                Completer.ForNode(ctx).Complete);
            read = () => editor.ReadLine(Prompt);
        }
        else
        {
            var input = new StreamReader(ctx.Input, new UTF8Encoding(false));
            read = input.ReadLine;
        }
        var session = new ReplSession(ctx, read, interactive);
        // Ctrl-C stops the running command (the terminal is cooked then); while a line is edited it is a key
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal =>
        {
            if (session.Interrupt() || interactive) signal.Cancel = true;
        });
        return session.Run();
    }
}

/// <summary>
/// The loop of <c>troupe shell</c>: a line is split as a POSIX shell splits it (<see cref="ShellWords"/>) and run
/// as <see cref="Cli.Run(IReadOnlyList{string}, ShellContext)"/> runs a one-shot command, on the session's context.
/// A failure prints its <c>error:</c> line and, for a non-zero exit, <c>exit status N</c>, and the next line runs.
/// <c>exit [N]</c>, <c>quit</c> and the end of input end the session (0 unless <c>exit N</c>). INTERNAL API.
/// </summary>
internal sealed class ReplSession(ShellContext ctx, Func<string?> readLine, bool interactive)
{
    const string Help = """

        In troupe shell: the verbs above without "troupe"; words split as sh does ('...', "...", \x, # comment).
          exit [N] | quit | Ctrl-D   leave          Ctrl-C        drop the line, or stop the running command
          clear | Ctrl-L             clear screen   Tab           complete verbs, kinds, names, -n namespaces, -f files
          Up/Down, Ctrl-P/N          history ($TROUPE_HOME/shell_history)
          Ctrl-A/E, Home/End, Ctrl-U/K/W/Y, Alt-B/F/D   move and cut as readline does

        """;

    CancellationTokenSource? _running;

    /// <summary>Stops the command that runs (Ctrl-C); false when none runs.</summary>
    public bool Interrupt()
    {
        var running = Volatile.Read(ref _running);
        if (running is null) return false;
        try { running.Cancel(); }
        catch (ObjectDisposedException) { return false; } // it ended meanwhile
        return true;
    }

    public int Run()
    {
        ctx.InShell = true;
        try
        {
            while (readLine() is { } line)
                if (Execute(line) is { } exit) return exit;
            return ExitCodes.Ok;
        }
        finally
        {
            ctx.InShell = false;
            ctx.Out.Flush();
        }
    }

    /// <summary>Runs one line; the session's exit code when the line ends it, else null.</summary>
    int? Execute(string line)
    {
        IReadOnlyList<string> words;
        try { words = ShellWords.Split(line); }
        catch (ShellException e)
        {
            Report(Cli.Fail(ctx, e.ExitCode, e.Message));
            return null;
        }
        if (words.Count == 0) return null;
        switch (words[0])
        {
            case "exit" or "quit":
                if (words.Count == 1) return ExitCodes.Ok;
                if (int.TryParse(words[1], out var code) && words.Count == 2) return code & 0xff;
                return Cli.Fail(ctx, ExitCodes.UsageError, $"{words[0]}: a number is expected, got \"{string.Join(' ', words.Skip(1))}\"");
            case "clear":
                ctx.Out.Write("\x1b[H\x1b[2J");
                ctx.Out.Flush();
                return null;
            case "help" when words.Count == 1:
                ctx.Out.Write(Cli.Usage);
                ctx.Out.Write(Help);
                ctx.Out.Flush();
                return null;
        }
        if (words.TakeWhile(w => w != "--").Any(w => w == "--cluster" || w.StartsWith("--cluster=", StringComparison.Ordinal)))
        {
            Report(Cli.Fail(ctx, ExitCodes.UsageError, "--cluster is set for the whole session: troupe shell --cluster host:port"));
            return null;
        }

        using var cancel = new CancellationTokenSource();
        using var ended = new CancellationTokenSource();
        if (interactive) ctx.UseInput(new CommandInput(ended.Token));
        ctx.Cancellation = cancel.Token;
        Volatile.Write(ref _running, cancel);
        int result;
        try { result = Cli.Run(words, ctx); }
        finally
        {
            Volatile.Write(ref _running, null);
            ctx.Cancellation = default;
            ended.Cancel();
        }
        if (cancel.IsCancellationRequested)
        {
            if (interactive) ctx.Out.Write("\n"); // after the terminal's ^C
            ctx.Out.Flush();
            return null;
        }
        Report(result);
        return null;
    }

    void Report(int code)
    {
        if (code == ExitCodes.Ok) return;
        ctx.Err.WriteLine($"exit status {code}");
        ctx.Err.Flush();
    }
}
