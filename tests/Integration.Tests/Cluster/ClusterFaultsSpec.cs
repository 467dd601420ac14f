using System.Diagnostics;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Cluster;

/// <summary>
/// Issue 6's bad input at start: two nodes on one cluster port (the second refuses with one line, exit 1, instead of
/// coming up beside the first), a seed that is down (the node says it is still trying, rather than hanging mute), and
/// a node whose cluster name (ACTORSYSTEM / --cluster-name) is not its seed's (told so, naming both, rather than
/// waiting 60 s to ask whether the seed is up). The process driver: nothing here runs a container.
/// </summary>
public sealed class ClusterFaultsSpec(ITestOutputHelper output)
{
    [Fact]
    public void A_second_node_on_a_taken_cluster_port_is_refused()
    {
        using var first = new TroupeCli("port-a", output);
        using var second = new TroupeCli("port-b", output);
        var port = Ports.Free();
        using var a = Start(first, "node", "--name", "a", "--port", port.ToString(), "--driver", "process");
        Eventually.Until("node a accepts commands", TimeSpan.FromSeconds(60), () => first.Run("get", "nodes"), r => r.ExitCode == 0);

        var b = second.Run(TimeSpan.FromSeconds(60), "node", "--name", "b", "--port", port.ToString(), "--seed", $"127.0.0.1:{port}", "--driver", "process");
        Assert.True(b.ExitCode == 1, b.ToString());
        Assert.Contains($"error: cluster port 127.0.0.1:{port} is already in use", b.Stderr);
        Assert.Single(b.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:"));
        first.StartedNode = true; // down, and nothing left behind
    }

    [Fact]
    public void A_node_of_another_version_leaves_with_one_line()
    {
        using var first = new TroupeCli("ver-a", output);
        using var second = new TroupeCli("ver-b", output);
        var port = Ports.Free();
        using var a = Start(first, "node", "--name", "a", "--port", port.ToString(), "--driver", "process");
        Eventually.Until("node a accepts commands", TimeSpan.FromSeconds(60), () => first.Run("get", "nodes"), r => r.ExitCode == 0);

        var newer = Path.Combine(second.Home, "newer.hocon");
        File.WriteAllText(newer, "akka.cluster.app-version = \"9.9.0\"\n");
        var b = second.Run(TimeSpan.FromSeconds(90), "node", "--name", "b", "--seed", $"127.0.0.1:{port}", "--driver", "process", "--config", newer);
        Assert.True(b.ExitCode == 1, b.ToString());
        Assert.Contains("error: this node is Troupe 9.9.0 but the cluster's member 127.0.0.1:", b.Stderr);
        Assert.Contains("must agree on major.minor", b.Stderr);
        // the first node carries on alone, and b is not a member
        Eventually.Until("only node a listed", TimeSpan.FromSeconds(30), () => first.Run("get", "nodes").Stdout,
            t => t.Contains("\na ") && !t.Contains("\nb "));
        first.StartedNode = true;
    }

    [Fact]
    public void A_node_whose_seed_is_down_says_it_keeps_trying()
    {
        using var cli = new TroupeCli("seed-down", output);
        var nowhere = Ports.Free();
        var log = Path.Combine(cli.Home, "out.log");
        using var p = Start(cli, "node", "--name", "lonely", "--seed", $"127.0.0.1:{nowhere}", "--driver", "process");
        var said = Eventually.Until("the node says it still tries the seed", TimeSpan.FromSeconds(30),
            () => File.Exists(log) ? File.ReadAllText(log) : "", t => t.Contains("still trying the seeds"));
        Assert.Contains($"still trying the seeds 127.0.0.1:{nowhere}", said);
        Assert.False(p.HasExited, "the node gives up only after 60 s");
    }

    [Fact]
    public void A_cluster_named_by_ACTORSYSTEM_forms_and_a_node_of_another_name_is_told_so_and_the_lighthouse_warns()
    {
        using var lh = new TroupeCli("name-lh", output);
        using var a = new TroupeCli("name-a", output);
        using var b = new TroupeCli("name-b", output);
        var port = Ports.Free();
        var lhLog = Path.Combine(lh.Home, "out.log");
        using var lighthouse = LocalCluster.StartInBackground(lh.Home, lhLog, new() { ["ACTORSYSTEM"] = "other" }, "lighthouse", "--port", port.ToString());
        // the flag wins over the environment
        using var na = LocalCluster.StartInBackground(a.Home, Path.Combine(a.Home, "out.log"), new() { ["ACTORSYSTEM"] = "wrong" },
            "node", "--name", "a", "--cluster-name", "other", "--seed", $"127.0.0.1:{port}", "--driver", "process");
        try
        {
            var nodes = Eventually.Until("a and the lighthouse are members", TimeSpan.FromSeconds(90), () => a.Run("get", "nodes", "-o", "wide").Stdout,
                t => t.Split('\n').Any(l => l.StartsWith("a ") && l.Contains(" Ready ")) && t.Contains($"127.0.0.1:{port} "));
            Assert.Contains($"akka.tcp://other@127.0.0.1:{port}", nodes);
            Assert.Contains($"Troupe node a (node) at akka.tcp://other@", File.ReadAllText(Path.Combine(a.Home, "out.log")));

            // a node of the default name (troupe) dials the same lighthouse: one line naming both names, exit 1, at once
            var sw = Stopwatch.StartNew();
            var r = b.Run(TimeSpan.FromSeconds(90), "node", "--name", "b", "--seed", $"127.0.0.1:{port}", "--driver", "process");
            Assert.True(r.ExitCode == 1, r.ToString());
            var errors = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error:")).ToList();
            Assert.Equal([$"error: the seed 127.0.0.1:{port} is a member of cluster \"other\", not \"troupe\" (ACTORSYSTEM / --cluster-name must match)"], errors);
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"told after {sw.Elapsed}, not at once");
            Assert.DoesNotContain("are the seeds", r.Stderr);

            // the lighthouse says who knocked, once
            var warned = Eventually.Until("the lighthouse warns", TimeSpan.FromSeconds(10), () => File.ReadAllText(lhLog), t => t.Contains("tries to join"));
            var line = Assert.Single(warned.Split('\n'), l => l.Contains("tries to join"));
            Assert.Matches($"\\[WARNING\\].* the node 127\\.0\\.0\\.1:\\d+ tries to join cluster \"troupe\" through 127\\.0\\.0\\.1:{port}, a member of cluster \"other\": " +
                "its messages are dropped \\(ACTORSYSTEM / --cluster-name must match\\)", line);

            // a is still a member, b never was
            var after = a.Run("get", "nodes").Stdout;
            Assert.Contains("\na ", after);
            Assert.DoesNotContain("\nb ", after);
        }
        finally
        {
            a.StartedNode = true; // down, and nothing left behind
            a.Dispose();
            if (lh.NodePid is { } lp) HostProcesses.Kill(lp, 15);
            lighthouse.WaitForExit(15_000);
        }
    }

    [Theory]
    [InlineData("--cluster-name", "my_cluster", "error: --cluster-name \"my_cluster\" is not a cluster name: use letters, digits and '-', not first")]
    [InlineData("ACTORSYSTEM", "-x", "error: ACTORSYSTEM \"-x\" is not a cluster name: use letters, digits and '-', not first")]
    public void A_bad_cluster_name_is_one_line_and_exit_1(string from, string name, string error)
    {
        using var cli = new TroupeCli("bad-name", output);
        if (from == "ACTORSYSTEM") cli.ExtraEnv["ACTORSYSTEM"] = name;
        string[] flag = from == "ACTORSYSTEM" ? [] : [from, name];
        foreach (var mode in (string[])["lighthouse", "node"])
        {
            var r = cli.Run(TimeSpan.FromSeconds(60), [mode, .. flag, "--port", "0", "--driver", "process"]);
            Assert.True(r.ExitCode == 1, r.ToString());
            Assert.Equal(error, r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(l => l.StartsWith("error:")));
        }
        var up = cli.Run(TimeSpan.FromSeconds(60), ["up", .. flag, "--driver", "process"]);
        Assert.True(up.ExitCode == 1, up.ToString());
        Assert.Equal(error, up.Stderr.Trim());
    }

    [Theory]
    [InlineData(null, "no such file")]
    [InlineData("akka.cluster.roles = ${nowhere}\n", "not valid HOCON: Unresolved substitution: nowhere")]
    [InlineData("akka { cluster { roles = [control }\n}}}\n", "not valid HOCON: the parser did not finish within 5 s (unbalanced brackets?)")]
    public void A_config_file_that_is_missing_or_broken_is_one_line_and_exit_1(string? text, string why)
    {
        using var cli = new TroupeCli("bad-config", output);
        var file = Path.Combine(cli.Home, "broken.hocon");
        if (text is not null) File.WriteAllText(file, text);
        var r = cli.Run(TimeSpan.FromSeconds(60), "node", "--port", "0", "--driver", "process", "--config", file);
        Assert.True(r.ExitCode == 1 && r.Elapsed < TimeSpan.FromSeconds(30), r.ToString());
        Assert.Equal($"error: --config {file}: {why}", r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(l => l.StartsWith("error:")));
    }

    static Process Start(TroupeCli cli, params string[] args) =>
        LocalCluster.StartInBackground(cli.Home, Path.Combine(cli.Home, "out.log"), [], args);
}
