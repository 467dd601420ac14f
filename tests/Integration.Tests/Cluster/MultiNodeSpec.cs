using System.Diagnostics;
using System.Text.Json;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Integration.Tests.Cluster;

/// <summary>
/// Issue 6 end to end: a lighthouse and three <c>troupe node</c> processes on loopback (runc driver), sharing a real
/// PostgreSQL server through <c>TROUPE_DB</c>, driven through <c>TROUPE_CLUSTER</c> naming every node's API. One
/// test walks the story, as one cluster is costly to start: placement spread and <c>get nodes</c>, an unschedulable
/// pod's reason, <c>kill -9</c> of a worker (its pods come back on the others), then <c>kill -9</c> of the node
/// hosting the Deployment's shard (the Deployment recovers on the last node from the journal and adopts the pods
/// already there: none duplicated, none lost), the shell still answering through the address that is left.
/// </summary>
public sealed class MultiNodeSpec(ITestOutputHelper output)
{
    const string App = "spread";

    [SkippableFact]
    public void Three_nodes_spread_pods_and_survive_losing_a_worker_and_the_shard_host()
    {
        Requirements.Runc();
        Requirements.Postgres();
        Requirements.Tool("docker-registry", "docker-registry");
        using var db = new PostgresServer();
        using var registry = new RegistryServer();
        using var cluster = new LocalCluster("mn", output, nodes: 3, driver: "runc", db: db.ConnectionString,
            hocon: $"troupe.runtime.node.image-registry = \"{registry.Host}\"");
        var cli = cluster.Client;
        cluster.WaitReady();

        // get nodes: members, roles, status, capacity and what is allocated
        var members = cli.Expect(0, "get", "nodes", "-o", "json").Json.GetProperty("items").EnumerateArray().ToList();
        static bool Has(JsonElement n, string role) => n.GetProperty("status").GetProperty("roles").EnumerateArray().Any(r => r.GetString() == role);
        var nodes = members.Where(n => Has(n, "worker")).ToList();
        Assert.Equal(["n1", "n2", "n3"], nodes.Select(n => n.GetProperty("metadata").GetProperty("name").GetString()).Order());
        // the lighthouse is a member too, named by its address, running nothing
        var lighthouse = Assert.Single(members, n => Has(n, "lighthouse"));
        Assert.Equal($"127.0.0.1:{cluster.Lighthouse.ClusterPort}", lighthouse.GetProperty("metadata").GetProperty("name").GetString());
        foreach (var n in nodes)
        {
            var status = n.GetProperty("status");
            Assert.True(status.GetProperty("capacity").GetProperty("cpu").GetString() is { Length: > 0 }, n.GetRawText());
            Assert.True(status.TryGetProperty("allocated", out _), n.GetRawText());
        }
        var table = cli.Expect(0, "get", "nodes").Stdout;
        Assert.Contains("ROLES", table);
        Assert.Contains("control,worker", table);

        // placement: six replicas spread two to a node, spec.nodeName as get pods -o wide shows it
        cli.Apply(Manifests.Deployment(App, 6, "sleep 3600", grace: 2));
        var pods = WaitSpread(cli, 6, cluster.Nodes.Select(n => n.Name).ToArray());
        Assert.All(pods.GroupBy(p => p.NodeName), g => Assert.Equal(2, g.Count()));
        var wide = cli.Expect(0, "get", "pods", "-o", "wide").Stdout;
        foreach (var p in pods) Assert.Contains(p.NodeName, wide.Split('\n').Single(l => l.StartsWith(p.Name + " ")));
        // each pod runs on the node it is bound to, in that node's runc
        foreach (var n in cluster.Nodes)
            Assert.Equal(pods.Where(p => p.NodeName == n.Name).Select(p => p.Container.RuncId).Order(),
                n.Cli.RuncContainers().Where(c => c.Status == "running").Select(c => c.Id).Order());

        // images reach other nodes: one built on n1 runs on n2 and n3, fetched from n1; one pushed to the cluster's
        // registry (troupe.runtime.node.image-registry) runs everywhere under its short name
        var context = Directory.CreateTempSubdirectory("troupe-it-mn-build-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(context, "hello"), "built on n1\n");
            File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM busybox\nCOPY hello /hello\nCMD [\"sleep\", \"3600\"]\n");
            cluster.Node("n1").Cli.Expect(0, TimeSpan.FromSeconds(120), "build", "-t", "built/app:1", context);
            cluster.Node("n1").Cli.Expect(0, TimeSpan.FromSeconds(120), "tag", "built/app:1", $"{registry.Host}/pushed:1");
            cluster.Node("n1").Cli.Expect(0, TimeSpan.FromSeconds(120), "push", $"{registry.Host}/pushed:1");
        }
        finally { Directory.Delete(context, recursive: true); }
        foreach (var (app, image) in new[] { ("fetched", "built/app:1"), ("mirrored", "pushed:1") })
        {
            cli.Apply(Manifests.Deployment(app, 3, "", grace: 1, image: image, command: $"[\"sh\", \"-c\", \"cat /hello; {Ticks}\"]"), $"{app}.yaml");
            var ran = Eventually.Until($"3 running pods of {app} on three nodes", TimeSpan.FromSeconds(90), () => cli.Pods(app),
                ps => ps.Count == 3 && ps.All(p => p.IsRunning) && ps.Select(p => p.NodeName).Distinct().Count() == 3,
                TroupeCli.Describe, cluster.Diagnostics);
            foreach (var p in ran)
                Eventually.Until($"{p.Name}'s log", TimeSpan.FromSeconds(20), () => cli.Run("logs", p.Name).Stdout, o => o.Contains("built on n1"));
            // the shell talks to n1 (first in TROUPE_CLUSTER): exec and logs -f of a pod on n3 are served by n3
            if (app == "fetched") AssertStreamsReach(cli, ran.Single(p => p.NodeName == "n3"), isolated: true);
            cli.Expect(0, "delete", "deployment", app);
        }
        Assert.Contains("built/app", cluster.Node("n3").Cli.Expect(0, "images").Stdout);
        cli.WaitForNoPods("fetched");
        cli.WaitForNoPods("mirrored");

        // a pod no node can take stays Pending with the scheduler's reason
        cli.Apply(Manifests.Deployment("huge", 1, "sleep 3600", memory: "900Gi"), "huge.yaml");
        var pending = Eventually.Until("huge's pod Pending and Unschedulable", TimeSpan.FromSeconds(30),
            () => cli.Pods("huge"), ps => ps.Count == 1 && Unschedulable(ps[0]) is not null, TroupeCli.Describe, cluster.Diagnostics);
        Assert.Equal("Pending", pending[0].Phase);
        Assert.Equal("", pending[0].NodeName);
        Assert.Contains("Insufficient memory", Unschedulable(pending[0]));
        cli.Expect(0, "delete", "deployment", "huge");

        // kill -9 of a worker that does not host the Deployment: its pods run again on the two others
        var control = ControlNode(cli);
        var worker = cluster.Nodes.First(n => n.Name != control);
        var clock = Stopwatch.StartNew();
        cluster.KillMachine(worker);
        var survivors = cluster.Nodes.Where(n => !n.Lost).Select(n => n.Name).ToArray();
        var afterWorker = WaitSpread(cli, 6, survivors, TimeSpan.FromSeconds(60));
        output.WriteLine($"FIGURE worker loss: {worker.Name} killed, all 6 replicas running again in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.All(afterWorker.GroupBy(p => p.NodeName), g => Assert.Equal(3, g.Count()));
        // the pods that were on the survivors were never touched
        var kept = pods.Where(p => p.NodeName != worker.Name).Select(p => p.Name).ToHashSet();
        Assert.Subset(afterWorker.Select(p => p.Name).ToHashSet(), kept);
        cluster.WaitReady();
        Assert.DoesNotContain($"\n{worker.Name} ", "\n" + cli.Expect(0, "get", "nodes").Stdout);

        // kill -9 of the node hosting the Deployment's shard: it recovers on the last node from PostgreSQL and
        // adopts the pods already running there
        var host = cluster.Node(ControlNode(cli));
        var last = cluster.Nodes.Single(n => !n.Lost && n != host);
        var onLast = afterWorker.Where(p => p.NodeName == last.Name).Select(p => p.Name).ToHashSet();
        clock.Restart();
        cluster.KillMachine(host);
        var afterHost = WaitSpread(cli, 6, [last.Name], TimeSpan.FromSeconds(90));
        output.WriteLine($"FIGURE control loss: {host.Name} killed, all 6 replicas running again in {clock.Elapsed.TotalSeconds:F1} s");
        Eventually.Until($"the Deployment controlled from {last.Name}", TimeSpan.FromSeconds(30), () => ControlNode(cli), n => n == last.Name);
        Assert.Subset(afterHost.Select(p => p.Name).ToHashSet(), onLast);
        foreach (var p in afterHost.Where(p => onLast.Contains(p.Name)))
            Assert.Contains(p.Container.Pid, afterWorker.Where(q => q.Name == p.Name).Select(q => q.Container.Pid));
        // no duplicate: exactly six containers run on the last node, one per pod
        Thread.Sleep(3000);
        var running = last.Cli.RuncContainers().Where(c => c.Status == "running").Select(c => c.Id).Order().ToList();
        Assert.Equal(cli.Pods(App).Select(p => p.Container.RuncId).Order(), running);
        Assert.Equal(6, running.Count);

        // the shell tries --cluster's addresses in order: the two lost nodes first, then the one left
        var listed = cli.Expect(0, "--cluster", $"127.0.0.1:{worker.ApiPort},127.0.0.1:{host.ApiPort},127.0.0.1:{last.ApiPort}",
            "get", "pods", "-l", $"app={App}").Stdout;
        Assert.Equal(7, listed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        // the Deployment still takes commands: scale down through the one address that is left
        cli.Expect(0, "scale", "deployment", App, "--replicas", "2");
        WaitSpread(cli, 2, [last.Name], TimeSpan.FromSeconds(60));
        cli.Expect(0, "delete", "deployment", App);
        cli.WaitForNoPods(App);
    }

    /// <summary>A container command that prints <c>tick 1</c>, <c>tick 2</c>, ... a second apart, for ever.</summary>
    internal const string Ticks = "i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done";

    /// <summary>
    /// Through <paramref name="via"/> (a node other than the pod's, which must pass the streams on to the pod's
    /// node): exec with its output, exit code and stdin, and logs -f following lines the pod writes while it runs
    /// (<see cref="Ticks"/>). Without forwarding <paramref name="via"/> refuses them all (the pod is not its own). In a
    /// runc container (<paramref name="isolated"/>) the pod's hostname is its name.
    /// </summary>
    internal static void AssertStreamsReach(TroupeCli via, PodView pod, bool isolated)
    {
        var hostname = via.Expect(0, "exec", pod.Name, "--", "hostname").Stdout.Trim();
        if (isolated) Assert.Equal(pod.Name, hostname);
        var split = via.Run("exec", pod.Name, "--", "sh", "-c", "echo out; echo err >&2; exit 7");
        Assert.True(split.ExitCode == 7 && split.Stdout == "out\n" && split.Stderr == "err\n", split.ToString());
        var echoed = via.RunWithStdin("typed on the shell's side\n", TimeSpan.FromSeconds(30), "exec", "-i", pod.Name, "--", "cat");
        Assert.True(echoed.ExitCode == 0 && echoed.Stdout == "typed on the shell's side\n", echoed.ToString());
        // stdin that stops for a while (a person thinking) keeps the session: the node passing it on waits too
        var paused = via.RunPiped("{ echo first; sleep 8; echo second; }", TimeSpan.FromSeconds(40), "exec", "-i", pod.Name, "--", "cat");
        Assert.True(paused.ExitCode == 0 && paused.Stdout == "first\nsecond\n", paused.ToString());

        static List<int> Ticks(string log) => [.. log.Split('\n').Where(l => l.StartsWith("tick ")).Select(l => int.Parse(l[5..]))];
        var before = Ticks(via.Expect(0, "logs", pod.Name).Stdout).DefaultIfEmpty(0).Max();
        var followed = via.Run(TimeSpan.FromSeconds(8), "logs", "-f", pod.Name);
        Assert.True(followed.TimedOut, "logs -f of a running pod ended by itself: " + followed);
        // lines written after logs -f began came through it, in order: one that only printed the log it found would
        // stop at the tick of its start (before + its start-up), one that follows goes on to about before + 8
        var ticks = Ticks(followed.Stdout);
        Assert.True(ticks.Count > 0 && ticks.Max() >= before + 5 && ticks.SequenceEqual(Enumerable.Range(1, ticks.Count)),
            $"before: tick {before}\n{followed}");
    }

    static List<PodView> WaitSpread(TroupeCli cli, int count, string[] nodes, TimeSpan? timeout = null) =>
        Eventually.Until($"{count} running pods of {App} on {string.Join(",", nodes)}", timeout ?? TimeSpan.FromSeconds(60),
            () => cli.Pods(App).ToList(),
            ps => ps.Count == count && ps.All(p => p.IsRunning && nodes.Contains(p.NodeName)),
            ps => string.Join("\n", ps.Select(p => $"  {p} on {p.NodeName}")), cli.Diagnostics);

    static string ControlNode(TroupeCli cli)
    {
        var d = cli.Expect(0, "get", "deployment", App, "-o", "json").Json;
        return d.GetProperty("metadata").GetProperty("annotations").GetProperty("troupe.io/control-node").GetString()!;
    }

    static string? Unschedulable(PodView p)
    {
        using var doc = JsonDocument.Parse(p.Json);
        if (!doc.RootElement.TryGetProperty("status", out var s) || !s.TryGetProperty("conditions", out var cs)) return null;
        foreach (var c in cs.EnumerateArray())
            if (c.GetProperty("type").GetString() == "PodScheduled" && c.GetProperty("status").GetString() == "False" &&
                PodView.Str(c, "reason") == "Unschedulable")
                return PodView.Str(c, "message") ?? "";
        return null;
    }
}
