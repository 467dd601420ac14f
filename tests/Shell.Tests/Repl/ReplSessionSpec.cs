using System.Text;
using Troupe.Api.Protocol;
using Troupe.Shell.Repl;
using Troupe.Shell.Tests.Connection;
using Troupe.Shell.Tests.Rendering;
using Xunit;

namespace Troupe.Shell.Tests.Repl;

/// <summary><c>troupe shell</c> with its lines piped in (stdin no terminal), against a <see cref="FakeNode"/>.</summary>
public sealed class ReplSessionSpec : IDisposable
{
    readonly TempHome _home = new();
    readonly FakeNode _node;

    public ReplSessionSpec() => _node = new FakeNode(_home.Path)
    {
        Handler = m => m switch
        {
            Ping => new Pong("node-1", "9.9.9", "127.0.0.1:4053", "fake"),
            GetObjects { Kind: "Pod" } => Fixtures.List(Fixtures.RunningPod),
            GetObjects { Kind: "Deployment" } => Fixtures.List(Fixtures.WebDeployment),
            ScaleDeployment s => new CommandAccepted(s.Name),
            _ => CommandRejected.Invalid("unexpected"),
        },
    };

    public void Dispose()
    {
        _node.Dispose();
        _home.Dispose();
    }

    Dictionary<string, string?> Env => new() { ["TROUPE_HOME"] = _home.Path };

    ShellRun Shell(string stdin, params string[] args) => Shell(Env, stdin, args);

    static ShellRun Shell(Dictionary<string, string?> env, string stdin, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var ctx = new ShellContext(o, e, env);
        ctx.UseInput(new MemoryStream(Encoding.UTF8.GetBytes(stdin)));
        var code = Cli.Run(["shell", .. args], ctx);
        return new ShellRun(code, o.ToString(), e.ToString());
    }

    string[] ErrLines(ShellRun r) => r.Stderr.TrimEnd('\n').Split('\n');

    [Fact]
    public void Shell_must_run_several_verbs_in_one_session_and_print_their_output_without_prompts()
    {
        var r = Shell("get pods\n\n# a comment\nscale deployment web --replicas 3\nget deploy web\nexit\nget pods\n");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("troupe shell: node node-1 at 127.0.0.1:4053 (troupe 9.9.9, driver fake); help lists the verbs, exit or Ctrl-D leaves",
            ErrLines(r).Single());
        var lines = r.Stdout.TrimEnd().Split('\n');
        Assert.Matches(@"^NAME\s+READY\s+STATUS", lines[0]);
        Assert.Matches(@"^web-7d4b9c-x2k4p\s+1/1\s+Running", lines[1]);
        Assert.Equal("deployment.apps/web scaled", lines[2]);
        Assert.Matches(@"^NAME\s+READY\s+UP-TO-DATE", lines[3]);
        Assert.Matches(@"^web\s+2/3", lines[4]);
        Assert.Equal(5, lines.Length); // nothing after exit ran
        Assert.DoesNotContain(ReplCommand.Prompt, r.Stdout);
        Assert.Equal(["Ping", "GetObjects", "ScaleDeployment", "GetObjects"], _node.Received.Select(m => m.GetType().Name));
        Assert.Equal(new ScaleDeployment("default", "web", 3), _node.Received[2]);
    }

    [Fact]
    public void Shell_must_print_an_error_line_and_the_exit_status_then_run_the_next_line()
    {
        var r = Shell("get bogus\nget pods -l 'app=web\nfrobnicate\nget pods --cluster 10.0.0.1:1\nget pods\n");
        Assert.Equal(0, r.ExitCode); // the end of input ends the session well
        Assert.Equal(
        [
            "error: the server doesn't have a resource type \"bogus\"", "exit status 1",
            "error: unterminated single quote", "exit status 2",
            "error: unknown command \"frobnicate\" for \"troupe\" (see troupe help)", "exit status 2",
            "error: --cluster is set for the whole session: troupe shell --cluster host:port", "exit status 2",
        ], ErrLines(r).Skip(1));
        Assert.Matches(@"^web-7d4b9c-x2k4p\s+1/1\s+Running", r.Stdout.Split('\n')[1]);
    }

    [Fact]
    public void Shell_must_end_with_the_code_exit_gives()
    {
        Assert.Equal(4, Shell("get pods\nexit 4\nget pods\n").ExitCode);
        Assert.Equal(0, Shell("get bogus\nquit\n").ExitCode);
        var bad = Shell("exit soon\n");
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("error: exit: a number is expected, got \"soon\"", ErrLines(bad)[^1]);
    }

    [Fact]
    public void Shell_must_exit_3_with_one_error_line_when_no_node_answers()
    {
        _node.Dispose();
        File.Delete(Path.Combine(_home.Path, "node.json"));
        var r = Shell("get pods\n");
        Assert.Equal(3, r.ExitCode);
        Assert.Equal($"error: no Troupe node is running for TROUPE_HOME={_home.Path} (start one with: troupe up)", r.ErrorLine);
        Assert.Equal("", r.Stdout);

        var remote = Shell("get pods\n", "--cluster", "127.0.0.1:1,127.0.0.1:2");
        Assert.Equal(3, remote.ExitCode);
        Assert.StartsWith("error: no Troupe node answers at 127.0.0.1:1, 127.0.0.1:2", remote.ErrorLine);
        var env = Shell(new Dictionary<string, string?> { ["TROUPE_HOME"] = _home.Path, ["TROUPE_CLUSTER"] = "127.0.0.1:1" }, "get pods\n");
        Assert.Equal(3, env.ExitCode);
        Assert.StartsWith("error: no Troupe node answers at 127.0.0.1:1", env.ErrorLine);
    }

    [Fact]
    public void Shell_must_say_the_verbs_on_help_and_refuse_a_shell_in_the_shell()
    {
        var r = Shell("help\nhelp scale\nshell\n");
        Assert.Contains("get KIND [NAME]", r.Stdout);
        Assert.Contains("In troupe shell:", r.Stdout);
        Assert.Contains("Usage: troupe scale", r.Stdout);
        Assert.Equal("error: this is troupe shell already", ErrLines(r)[1]);

        var usage = ShellRun.Of(_home.Path, "shell", "--help");
        Assert.Equal(0, usage.ExitCode);
        Assert.Equal("Usage: troupe shell [--cluster host:port[,host:port]]\n", usage.Stdout);
        Assert.Contains("shell [--cluster host:port,...]", ShellRun.Of(_home.Path, "help").Stdout);
    }

    [Fact]
    public void Shell_must_stop_a_watch_on_CtrlC_and_go_on_with_the_next_line()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var ctx = new ShellContext(TextWriter.Synchronized(o), TextWriter.Synchronized(e), Env);
        var lines = new Queue<string>(["get pods -w", "get deploy"]);
        var session = new ReplSession(ctx, () => lines.TryDequeue(out var l) ? l : null, interactive: false);
        var run = Task.Run(session.Run);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_node.Received.Count(m => m is GetObjects { Kind: "Pod" }) < 3 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.True(session.Interrupt());
        Assert.True(run.Wait(TimeSpan.FromSeconds(5)), "the watch did not stop");
        Assert.Equal(0, run.Result);
        Assert.Equal("", e.ToString()); // a Ctrl-C is no failure to report
        Assert.IsType<GetObjects>(_node.Received[^1]);
        Assert.Equal("Deployment", ((GetObjects)_node.Received[^1]).Kind);
        Assert.False(session.Interrupt()); // nothing runs any more
    }

    [Fact]
    public void Shell_must_close_a_follow_on_CtrlC_even_while_the_node_has_not_answered()
    {
        using var release = new ManualResetEventSlim();
        _node.GetHandler = _ =>
        {
            release.Wait(TimeSpan.FromSeconds(20));
            return (200, ["late\n"]);
        };
        var o = new StringWriter();
        var ctx = new ShellContext(TextWriter.Synchronized(o), TextWriter.Null, Env);
        var lines = new Queue<string>(["logs -f web-7d4b9c-x2k4p"]);
        var session = new ReplSession(ctx, () => lines.TryDequeue(out var l) ? l : null, interactive: false);
        var run = Task.Run(session.Run);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_node.Gets.Count == 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.StartsWith("/v1/logs?", _node.Gets.Single());
        Assert.True(session.Interrupt());
        Assert.True(run.Wait(TimeSpan.FromSeconds(5)), "the follow did not stop");
        Assert.Equal(0, run.Result);
        release.Set();
        Assert.DoesNotContain("late", o.ToString());
    }

    [Fact]
    public void Shell_must_run_what_the_line_editor_completed_from_the_nodes_names()
    {
        var o = new StringWriter();
        var ctx = new ShellContext(o, TextWriter.Null, Env);
        var terminal = new ScriptedTerminal().Type("sc\tdep\t w\t--replicas 2\n").Type("get deploy/\t\n");
        var editor = new LineEditor(terminal, History.InMemory(), Completer.ForNode(ctx).Complete);
        var code = new ReplSession(ctx, () => editor.ReadLine(ReplCommand.Prompt), interactive: true).Run();
        Assert.Equal(0, code);
        Assert.Contains(new ScaleDeployment("default", "web", 2), _node.Received);
        Assert.Equal(new GetObjects("Deployment", "default", "web"), _node.Received[^1]);
        Assert.Contains("deployment.apps/web scaled", o.ToString());
    }
}
