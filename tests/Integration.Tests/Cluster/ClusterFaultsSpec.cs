using System.Diagnostics;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Cluster;

/// <summary>
/// Issue 6's bad input at start: two nodes on one cluster port (the second refuses with one line, exit 1, instead of
/// coming up beside the first), and a seed that is down (the node says it is still trying, rather than hanging mute).
/// The process driver: nothing here runs a container.
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

    static Process Start(TroupeCli cli, params string[] args) =>
        LocalCluster.StartInBackground(cli.Home, Path.Combine(cli.Home, "out.log"), [], args);
}
