using System.Net.Sockets;
using System.Text.Json;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Cluster;

/// <summary>
/// <c>troupe up</c> and friends on the edges: a second <c>up</c>, no node at all, a stale <c>node.json</c>, a
/// <c>TROUPE_HOME</c> that cannot be written. Each test has its own home.
/// </summary>
public sealed class NodeLifecycleSpec(ITestOutputHelper output)
{
    [Fact]
    public void Up_starts_a_node_that_accepts_commands_and_a_second_up_says_it_is_already_running()
    {
        using var cli = new TroupeCli("up", output);

        var first = cli.Up();
        Assert.False(first.StdioHeldOpen, $"`troupe up` returned but the node it started still holds up's stdout/stderr: `troupe up | cat` would hang\n{first}");

        var node = cli.NodeJson();
        Assert.True(node is not null, $"no readable {cli.Home}/node.json after up");
        var pid = cli.NodePid ?? throw new Xunit.Sdk.XunitException($"node.json has no pid: {node}");
        Assert.True(HostProcesses.IsAlive(pid), $"node.json says pid {pid}, which is not running");
        foreach (var field in new[] { "address", "api", "socket" })
            Assert.True(node!.Value.TryGetProperty(field, out _), $"node.json lacks \"{field}\": {node}");

        // "returns once it accepts commands": no retry here.
        var pods = cli.Run("get", "pods", "-o", "json");
        Assert.True(pods.ExitCode == 0, $"get pods right after up\n{pods}");
        Assert.Empty(PodView.ParseList(pods.Json));

        var second = cli.Run(TimeSpan.FromSeconds(60), "up");
        Assert.True(second.ExitCode == 0, $"a second up must exit 0\n{second}");
        Assert.Contains("already", (second.Stdout + second.Stderr).ToLowerInvariant());
        Assert.Equal(pid, cli.NodePid);
        Assert.True(second.Elapsed < TimeSpan.FromSeconds(5), $"a second up should answer at once, took {second.Elapsed}");

        // a node that stops leaves no pod bridge behind (the runc driver's; the process driver makes none)
        var bridges = HostProcesses.PodBridges(cli.Home);
        cli.Expect(0, TimeSpan.FromSeconds(90), "down");
        Assert.True(HostProcesses.WaitGone(pid, TimeSpan.FromSeconds(15)), "the node did not exit after down");
        Assert.Empty(HostProcesses.PodBridges(cli.Home));
        if (Requirements.InCi) Assert.NotEmpty(bridges); // under CI the node runs runc, which makes one
    }

    [Fact]
    public void Commands_without_a_node_exit_3_with_one_line()
    {
        using var cli = new TroupeCli("nonode", output);

        var r = cli.Run("get", "pods");
        Assert.True(r.ExitCode == 3, $"get pods with no node must exit 3\n{r}");
        Assert.Equal("", r.Stdout);
        AssertOneLine(r);
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(5), $"no node: should fail fast, took {r.Elapsed}");

        var json = cli.Run("get", "pods", "-o", "json");
        Assert.True(json.ExitCode == 3, $"get pods -o json with no node must exit 3\n{json}");
        Assert.Equal("", json.Stdout);
    }

    [Fact]
    public void A_stale_node_json_from_a_killed_node_does_not_stop_up()
    {
        using var cli = new TroupeCli("stale", output);

        // A dead pid: a process that has exited, and a socket file nobody listens on, as `kill -9` leaves them.
        var dead = ProcessRunner.Host("sh", "-c", "echo $$");
        var deadPid = int.Parse(dead.Stdout.Trim());
        Assert.True(HostProcesses.WaitGone(deadPid, TimeSpan.FromSeconds(5)));
        var socketPath = Path.Combine(cli.Home, "troupe.sock");
        using (var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            s.Bind(new UnixDomainSocketEndPoint(socketPath));
        File.WriteAllText(Path.Combine(cli.Home, "node.json"), JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["pid"] = deadPid,
            ["address"] = "akka.tcp://troupe@127.0.0.1:1",
            ["api"] = null,
            ["socket"] = socketPath,
        }));

        var before = cli.Run("get", "pods");
        Assert.True(before.ExitCode == 3, $"a stale node.json is no node: exit 3\n{before}");
        AssertOneLine(before);

        cli.Up();
        var pid = cli.NodePid;
        Assert.True(pid is not null && pid != deadPid && HostProcesses.IsAlive(pid.Value), $"node.json after up: {cli.NodeJson()}");
        cli.Expect(0, "get", "pods", "-o", "json");
    }

    [Fact]
    public void A_troupe_home_under_proc_cannot_be_created_exit_1_with_one_line()
    {
        using var cli = new TroupeCli("procro", output, createHome: false);
        cli.UseHome("/proc/troupe-it/home");

        var r = cli.Run(TimeSpan.FromSeconds(60), "up");
        Assert.True(r.ExitCode == 1, $"up with an unwritable TROUPE_HOME must exit 1\n{r}");
        AssertOneLine(r);
        Assert.Contains("/proc/troupe-it/home", r.Stderr);
    }

    [SkippableFact]
    public void A_troupe_home_on_a_read_only_filesystem_exit_1_with_one_line()
    {
        Requirements.Root();
        var mnt = Directory.CreateTempSubdirectory("troupe-it-ro-").FullName;
        try
        {
            Assert.Equal(0, ProcessRunner.Host("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt).ExitCode);
            Directory.CreateDirectory(Path.Combine(mnt, "home"));
            Assert.Equal(0, ProcessRunner.Host("mount", "-o", "remount,ro", mnt).ExitCode);

            using var cli = new TroupeCli("ro", output, createHome: false);
            cli.UseHome(Path.Combine(mnt, "home"));
            var r = cli.Run(TimeSpan.FromSeconds(60), "up");
            Assert.True(r.ExitCode == 1, $"up with a read-only TROUPE_HOME must exit 1\n{r}");
            AssertOneLine(r);
            Assert.Contains(mnt, r.Stderr);
            Assert.Empty(HostProcesses.Referring(Path.Combine(mnt, "home")));
        }
        finally
        {
            ProcessRunner.Host("umount", "-l", mnt);
            Directory.Delete(mnt);
        }
    }

    internal static void AssertOneLine(CliResult r)
    {
        var err = r.ErrorLine;
        Assert.True(err.Length > 0, $"expected one line on stderr, got none\n{r}");
        Assert.True(!err.Contains('\n'), $"expected one line on stderr, got {err.Split('\n').Length}\n{r}");
        Assert.DoesNotContain("   at ", err); // no stack trace
        Assert.DoesNotContain("Exception", err);
    }
}
