using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Cluster;

/// <summary>
/// A node that stops and starts again: <c>down</c> then <c>up</c> brings Deployments back from the journal;
/// <c>kill -9</c> of the node leaves its containers running and the next <c>up</c> adopts them, never
/// duplicating one; what died meanwhile is cleaned up. The tests share one home.
/// </summary>
public sealed class RestartSpec(NodeFixture node, ITestOutputHelper output) : IClassFixture<NodeFixture>
{
    private TroupeCli Start()
    {
        Requirements.Runc();
        var cli = node.Start(output, "restart");
        cli.Expect(0, TimeSpan.FromSeconds(60), "apply", "-f", Manifests.Example);
        return cli;
    }

    [SkippableFact]
    public void Down_stops_the_containers_and_up_runs_the_deployment_again()
    {
        var cli = Start();
        var before = cli.WaitForRunning("web", 3);
        var nodePid = cli.NodePid!.Value;

        cli.Expect(0, TimeSpan.FromSeconds(90), "down");
        Assert.True(HostProcesses.WaitGone(nodePid, TimeSpan.FromSeconds(10)), $"node {nodePid} still runs after down returned");
        var left = cli.RuncContainers();
        Assert.True(left.Count == 0, "down must stop and remove the containers: runc list shows " + string.Join(", ", left));
        foreach (var p in before)
            Assert.False(HostProcesses.IsAlive(p.Container.Pid!.Value), $"{p.Name}'s process still runs after down");
        var noNode = cli.Run("get", "pods");
        Assert.True(noNode.ExitCode == 3, $"after down: exit 3\n{noNode}");

        cli.Up();
        var after = cli.WaitForRunning("web", 3);
        Assert.Empty(after.Select(p => p.Container.Pid).Intersect(before.Select(p => p.Container.Pid)));
        Assert.Equal(3, cli.RuncContainers().Count(c => c.Status == "running"));
    }

    [SkippableFact]
    public void After_kill_9_of_the_node_up_adopts_the_running_containers_without_duplicates()
    {
        var cli = Start();
        var before = cli.WaitForRunning("web", 3);
        var nodePid = cli.NodePid!.Value;

        HostProcesses.Kill(nodePid);
        Assert.True(HostProcesses.WaitGone(nodePid, TimeSpan.FromSeconds(10)), $"node {nodePid} survived kill -9");
        foreach (var p in before)
            Assert.True(HostProcesses.IsAlive(p.Container.Pid!.Value), $"{p.Name}'s container died with the node");

        cli.Up();
        var after = cli.WaitForRunning("web", 3);
        AssertAdopted(cli, before, after);

        // and nothing turns up late
        Thread.Sleep(3000);
        AssertAdopted(cli, before, cli.WaitForRunning("web", 3));
    }

    private static void AssertAdopted(TroupeCli cli, IReadOnlyList<PodView> before, IReadOnlyList<PodView> after)
    {
        Assert.Equal(before.Select(p => p.Container.Pid!.Value).Order(), after.Select(p => p.Container.Pid!.Value).Order());
        Assert.Equal(before.Select(p => p.Name).Order(), after.Select(p => p.Name).Order());
        Assert.All(after, p => Assert.Equal(before.Single(b => b.Name == p.Name).Container.RestartCount, p.Container.RestartCount));
        var runc = cli.RuncContainers();
        Assert.True(runc.Count == 3 && runc.All(c => c.Status == "running"),
            "runc must hold exactly the 3 adopted containers: " + string.Join(", ", runc));
        Assert.Equal(before.Select(p => p.Container.Pid!.Value).Order(), runc.Select(c => c.Pid).Order());
    }

    [SkippableFact]
    public void A_container_that_died_while_the_node_was_down_is_cleaned_up_and_run_again()
    {
        var cli = Start();
        var before = cli.WaitForRunning("web", 3);
        var nodePid = cli.NodePid!.Value;

        HostProcesses.Kill(nodePid);
        Assert.True(HostProcesses.WaitGone(nodePid, TimeSpan.FromSeconds(10)));
        var victim = before[0];
        HostProcesses.Kill(victim.Container.Pid!.Value);
        Assert.True(HostProcesses.WaitGone(victim.Container.Pid!.Value, TimeSpan.FromSeconds(5)));

        cli.Up();
        var after = Eventually.Until("3 running pods, the dead container replaced", TimeSpan.FromSeconds(60),
            () => cli.Pods("web"),
            ps => ps.Count == 3 && ps.All(p => p.IsRunning) && ps.All(p => p.Container.Pid != victim.Container.Pid),
            TroupeCli.Describe, cli.Diagnostics);
        // the two survivors were adopted as they were
        foreach (var survivor in before.Skip(1))
            Assert.Contains(after, p => p.Container.Pid == survivor.Container.Pid);
        // no stopped leftover in runc: exactly the 3 that run
        var runc = Eventually.Until("runc to hold exactly 3 running containers", TimeSpan.FromSeconds(15),
            () => cli.RuncContainers(), r => r.Count == 3 && r.All(c => c.Status == "running"), r => string.Join(", ", r));
        Assert.DoesNotContain(runc, c => c.Id == victim.Container.RuncId && c.Status != "running");
    }
}
