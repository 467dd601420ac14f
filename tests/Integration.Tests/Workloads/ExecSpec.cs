using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Workloads;

/// <summary>
/// <c>troupe exec</c> on one real node (runc): a process inside the running container (its namespaces, its
/// environment), exit codes as Docker's (the command's own, 127, 126), stdin with <c>-i</c>, a terminal with
/// <c>-t</c>, kubectl's <c>POD -c C -- CMD</c> form into a Deployment's pod, and the refusals.
/// </summary>
public sealed class ExecSpec(NodeFixture node, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    TroupeCli Start()
    {
        Requirements.Runc();
        Requirements.Tool("script", "util-linux");
        return node.Start(output, "exec");
    }

    [SkippableFact]
    public void Exec_runs_inside_the_container_with_its_environment_and_returns_the_exit_code()
    {
        var cli = Start();
        cli.Expect(0, Long, "run", "-d", "--name", "box", "-e", "FROM_RUN=yes", "busybox", "sh", "-c", "echo main > /tmp/mark; sleep 600");
        Eventually.Until("box to run", Long, () => cli.Run("exec", "box", "cat", "/tmp/mark"), r => r.ExitCode == 0, r => r.ToString());

        // the container's file system, hostname, environment and process tree (PID 1 is its own sleep: sh execs its last command)
        var inside = cli.Expect(0, "exec", "box", "sh", "-c", "cat /tmp/mark; hostname; echo $FROM_RUN; cat /proc/1/cmdline | tr '\\0' ' '");
        Assert.Equal(["main", "box", "yes", "sleep 600"], inside.Stdout.TrimEnd().Split('\n').Select(l => l.TrimEnd()));
        var streams = cli.Expect(7, "exec", "box", "sh", "-c", "echo out; echo err >&2; exit 7");
        Assert.Equal("out", streams.Stdout.Trim());
        Assert.Equal("err", streams.Stderr.Trim());
        Assert.Contains("executable file not found", cli.Expect(127, "exec", "box", "no-such-command").Stderr);
        Assert.Contains("permission denied", cli.Expect(126, "exec", "box", "/etc").Stderr);

        // -e, -w, -u and everything after the name is the command's, flags included
        Assert.Equal("1 /tmp 1000:1001", cli.Expect(0, "exec", "-e", "X=1", "-w", "/tmp", "-u", "1000:1001", "box", "sh", "-c", "echo $X $(pwd) $(id -u):$(id -g)").Stdout.Trim());
        Assert.Matches(@"(?m)^d[rwxtT-]{9}.* tmp$", cli.Expect(0, "exec", "box", "ls", "-l", "/").Stdout);
        // a -- inside docker's form is the command's own
        Assert.Equal("-- x", cli.Expect(0, "exec", "box", "sh", "-c", "echo \"$@\"", "sh", "--", "x").Stdout.Trim());

        // -i: stdin reaches the process and its end ends it
        Assert.Equal("piped in\nsecond line", cli.RunWithStdin("piped in\nsecond line\n", Long, "exec", "-i", "box", "cat").Stdout.TrimEnd());
        Assert.Equal("", cli.RunWithStdin("ignored\n", Long, "exec", "box", "cat").Stdout); // without -i, no stdin
        // -t: a terminal inside (output through it ends lines with \r\n)
        var tty = cli.Expect(0, "exec", "-t", "box", "sh", "-c", "tty; test -t 1 && echo is-a-tty");
        Assert.Matches(@"^/dev/pts/\d+\r\nis-a-tty\r\n$", tty.Stdout);
        Assert.Equal(5, cli.Expect(5, "exec", "-t", "box", "sh", "-c", "exit 5").ExitCode);
        Assert.Equal("error: the input device is not a TTY", cli.RunWithStdin("x", Long, "exec", "-it", "box", "sh").ErrorLine);

        // a stopped container refuses, with Troupe's own code
        cli.Expect(0, Long, "stop", "-t", "1", "box");
        Assert.Contains("not running", cli.Expect(125, "exec", "box", "true").ErrorLine);
        cli.Expect(0, "rm", "box");
        Assert.Equal("error: No such container: box", cli.Expect(1, "exec", "box", "true").ErrorLine);
        cli.Expect(2, "exec", "box");
    }

    [SkippableFact]
    public void Kubectls_form_reaches_a_named_container_of_a_deployments_pod()
    {
        var cli = Start();
        cli.Apply("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: duo }
            spec:
              replicas: 1
              selector: { matchLabels: { app: duo } }
              template:
                metadata: { labels: { app: duo } }
                spec:
                  containers:
                  - { name: first, image: busybox, command: ["sh", "-c", "echo one > /who; sleep 600"] }
                  - { name: second, image: busybox, command: ["sh", "-c", "echo two > /who; sleep 600"] }
            """, "duo.yaml");
        var pod = cli.WaitForRunning("duo", 1)[0].Name;
        Eventually.Until("both containers to write", Long, () => cli.Run("exec", pod, "-c", "second", "--", "cat", "/who"), r => r.ExitCode == 0, r => r.ToString());
        Assert.Equal("two", cli.Expect(0, "exec", pod, "-c", "second", "--", "cat", "/who").Stdout.Trim());
        Assert.Equal("one", cli.Expect(0, "exec", pod, "--", "cat", "/who").Stdout.Trim());
        Assert.Equal($"error: container third is not valid for pod {pod}", cli.Expect(1, "exec", pod, "-c", "third", "--", "true").ErrorLine);
        cli.DeleteDeployment("duo", "duo");
    }

    [SkippableFact]
    public void Run_i_feeds_stdin_to_the_main_process_and_run_t_gives_it_a_terminal()
    {
        var cli = Start();
        // -i: the shell's stdin is the container's, its end is the container's end of input
        var cat = cli.RunWithStdin("hello\nworld\n", Long, "run", "-i", "--rm", "busybox", "cat");
        Assert.Equal(0, cat.ExitCode);
        Assert.Equal("hello\nworld\n", cat.Stdout);
        Assert.Equal(5, cli.RunWithStdin("5\n", Long, "run", "-i", "--rm", "busybox", "sh", "-c", "read n; exit $n").ExitCode);
        // without -i the container reads nothing
        var none = cli.RunWithStdin("ignored\n", Long, "run", "--rm", "busybox", "cat");
        Assert.Equal((0, ""), (none.ExitCode, none.Stdout));
        // -t: a terminal for stdin and stdout (its line ends are \r\n), TERM set
        var tty = cli.Expect(0, Long, "run", "-t", "--rm", "busybox", "sh", "-c", "tty; test -t 0 && echo in-tty; echo $TERM");
        Assert.Matches(@"^/dev/pts/\d+\r\nin-tty\r\nxterm\r\n$", tty.Stdout);
        // -it needs a terminal here; under util-linux script there is one, and keys typed reach the container's shell
        Assert.Equal("error: the input device is not a TTY", cli.RunWithStdin("x", Long, "run", "-it", "--rm", "busybox", "sh").ErrorLine);
        var line = string.Join(' ', new[] { RepoRoot.Troupe, "run", "-it", "--rm", "busybox", "sh", "-c", "read x; echo got-$x; exit 4" }.Select(a => "'" + a + "'"));
        var typed = ProcessRunner.Run("script", ["-q", "-e", "-E", "never", "-c", line, "/dev/null"],
            new Dictionary<string, string?>(TroupeCli.Environment(cli.Home)) { ["SHELL"] = "/bin/sh" }, Long, "abc\n");
        cli.Log(typed.ToString());
        Assert.Equal(4, typed.ExitCode);
        Assert.Contains("got-abc", typed.Stdout);
        // -d -i keeps stdin open with nothing attached: cat waits instead of ending
        cli.Expect(0, Long, "run", "-d", "-i", "--name", "waiting", "busybox", "cat");
        Eventually.Until("waiting to run", Long, () => cli.Run("exec", "waiting", "true"), r => r.ExitCode == 0, r => r.ToString());
        Thread.Sleep(1000);
        Assert.Contains(" Up ", cli.Expect(0, "ps").Stdout);
        cli.Expect(0, Long, "rm", "-f", "waiting");
    }
}