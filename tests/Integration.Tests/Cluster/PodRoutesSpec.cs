using System.Diagnostics;
using System.Text.Json;
using Troupe.Integration.Tests.Harness;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Troupe.Integration.Tests.Cluster;

/// <summary>
/// Pods of two machines reach each other through host routes (flannel's host-gw), with real processes: two
/// <c>troupe node</c>s (runc), each inside its own network namespace (<see cref="NetnsMachines"/>: its own routing
/// table, the two joined by one veth pair, strict reverse-path filtering), so only the routes the nodes make connect
/// their pod bridges. Node <c>a</c> (control and worker, seeding itself, SQLite) and worker <c>a2</c> share the first
/// machine, worker <c>b</c> has the second; each advertises its pod CIDR and host address. <c>a</c> and <c>a2</c> route
/// to <c>b</c> each at its own metric and not to each other; a busybox pod on <c>a</c> fetches from busybox httpd in a
/// pod on <c>b</c> by its pod IP and through a Service that <c>a</c> balances; routes deleted by hand cut it and come
/// back; <c>a2</c> leaving removes only its own route beside <c>a</c>'s; <c>b</c> leaving removes the routes to it and
/// its own.
/// </summary>
public sealed class PodRoutesSpec(ITestOutputHelper output)
{
    static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public void Pods_on_two_machines_must_reach_each_other_through_host_routes()
    {
        Requirements.Runc();
        Requirements.Tool("ip", "iproute2");
        var clock = Stopwatch.StartNew();
        using var machines = new NetnsMachines(output);
        using var a = new TroupeCli("rt-a", output);
        using var a2 = new TroupeCli("rt-a2", output);
        using var b = new TroupeCli("rt-b", output);
        var (ipA, ipB) = (machines.Addresses[0], machines.Addresses[1]);
        // a short resync, so a route deleted behind the node's back comes back within the test
        var hocon = a.WriteManifest("troupe.runtime.node.route-resync-interval = 2s\n", "routes.hocon");
        string[] common = ["--driver", "runc", "--config", hocon];
        machines.StartNode(0, a, "a", 4061, $"{ipA}:4061", common);
        machines.StartNode(0, a2, "a2", 4062, $"{ipA}:4061", ["--roles", "worker", .. common]);
        machines.StartNode(1, b, "b", 4061, $"{ipA}:4061", ["--roles", "worker", .. common]);
        string Diagnostics() => a.Diagnostics() + "\n" + a2.Diagnostics() + "\n" + b.Diagnostics() +
            $"\n--- routes in a\n{machines.Exec(0, "ip", "route").Stdout}\n--- routes in b\n{machines.Exec(1, "ip", "route").Stdout}";

        // both nodes Ready, each advertising its pod CIDR and the address the other reaches it at
        var nodes = Eventually.Until("nodes a, a2 and b Ready with their pod CIDRs", Long, () =>
            {
                var r = a.Run("get", "nodes", "-o", "json");
                return r.ExitCode != 0 ? [] : r.Json.GetProperty("items").EnumerateArray().ToList();
            },
            items => items.Count == 3 && items.All(n => n.GetProperty("status").GetProperty("phase").GetString() == "Up"
                && n.GetProperty("spec").TryGetProperty("podCIDR", out _)),
            items => string.Join("\n", items.Select(i => i.GetRawText())), Diagnostics)
            .ToDictionary(n => n.GetProperty("metadata").GetProperty("name").GetString()!);
        string Cidr(string n) => nodes[n].GetProperty("spec").GetProperty("podCIDR").GetString()!;
        string Internal(string n) => nodes[n].GetProperty("status").GetProperty("addresses").EnumerateArray()
            .Single(x => x.GetProperty("type").GetString() == "InternalIP").GetProperty("address").GetString()!;
        Assert.Equal(3, new[] { Cidr("a"), Cidr("a2"), Cidr("b") }.Distinct().Count());
        Assert.Equal(ipA, Internal("a"));
        Assert.Equal(ipA, Internal("a2"));
        Assert.Equal(ipB, Internal("b"));
        var wide = a.Expect(0, "get", "nodes", "-o", "wide").Stdout;
        Assert.Contains("POD-CIDR", wide);
        Assert.Contains(Cidr("b"), wide.Split('\n').Single(l => l.StartsWith("b ")));

        // each machine routes the other's pod CIDRs via the other's uplink address, as Troupe's (proto 158); a and a2
        // share the first machine's table: each keeps its own route to b (two metrics), neither routes to the other
        static int Count(string table, string route) => table.Split('\n').Count(l => l.StartsWith(route + " "));
        var toB = $"{Cidr("b")} via {ipB}";
        var routesA = Eventually.Until("a's and a2's routes to b's pods", Long, () => machines.TroupeRoutes(0), t => Count(t, toB) == 2, t => t, Diagnostics);
        Assert.DoesNotContain(Cidr("a"), routesA);
        Assert.DoesNotContain(Cidr("a2"), routesA);
        Eventually.Until("b's routes to a's and a2's pods", Long, () => machines.TroupeRoutes(1),
            t => Count(t, $"{Cidr("a")} via {ipA}") == 1 && Count(t, $"{Cidr("a2")} via {ipA}") == 1, t => t, Diagnostics);
        Assert.Equal("1", machines.Exec(0, "cat", "/proc/sys/net/ipv4/ip_forward").Stdout.Trim());
        Assert.Equal("1", machines.Exec(1, "cat", "/proc/sys/net/ipv4/ip_forward").Stdout.Trim());

        // a web pod on b, a client pod on a (bare pods bound by spec.nodeName), a Service over the web pod
        a.Apply($"""
            apiVersion: v1
            kind: Pod
            metadata: {"{"}name: web-b, labels: {"{"}app: web-b{"}"}{"}"}
            spec:
              nodeName: b
              terminationGracePeriodSeconds: 1
              containers:
                - name: main
                  image: busybox:latest
                  command: ["sh", "-c", "mkdir -p /www; echo hello-from-b > /www/index.html; exec httpd -f -p 8080 -h /www"]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {"{"}name: client-a, labels: {"{"}app: client-a{"}"}{"}"}
            spec:
              nodeName: a
              terminationGracePeriodSeconds: 1
              containers:
                - name: main
                  image: busybox:latest
                  command: ["sleep", "3600"]
            ---
            apiVersion: v1
            kind: Service
            metadata: {"{"}name: web{"}"}
            spec:
              selector: {"{"}app: web-b{"}"}
              ports: [{"{"}port: 80, targetPort: 8080{"}"}]
            """);
        var web = a.WaitForRunning("web-b", 1, Long).Single();
        var client = a.WaitForRunning("client-a", 1, Long).Single();
        Assert.Equal("b", web.NodeName);
        Assert.Equal("a", client.NodeName);
        var webIp = JsonDocument.Parse(web.Json).RootElement.GetProperty("status").GetProperty("podIP").GetString()!;
        Assert.StartsWith(Cidr("b")[..Cidr("b").LastIndexOf('.')], webIp);

        CliResult Fetch(string url) => a.Run(TimeSpan.FromSeconds(20), "exec", "client-a", "--", "timeout", "5", "wget", "-q", "-O-", url); // busybox 1.35 wget -T segfaults

        // pod to pod across the machines, by pod IP
        Assert.Contains("hello-from-b", Eventually.Until($"client-a to reach web-b at {webIp}", Long,
            () => Fetch($"http://{webIp}:8080/"), r => r.ExitCode == 0 && r.Stdout.Contains("hello-from-b"), r => r.ToString(), Diagnostics).Stdout);

        // the Service: node a's balancer (its ClusterIP on a's bridge) sends the connection to the pod on b
        var clusterIp = a.Expect(0, "get", "svc", "web", "-o", "json").Json.GetProperty("spec").GetProperty("clusterIP").GetString()!;
        Assert.Contains("hello-from-b", Eventually.Until($"client-a to reach Service web at {clusterIp}", Long,
            () => Fetch($"http://{clusterIp}/"), r => r.ExitCode == 0 && r.Stdout.Contains("hello-from-b"), r => r.ToString(), Diagnostics).Stdout);

        // the routes are what connect them: deleted by hand, b's pod is unreachable from the first machine (asked in
        // the same breath, before a resync can put them back); the resync puts them back
        var cut = machines.Exec(0, "sh", "-c", $"ip route flush proto 158 && busybox wget -q -O- http://{webIp}:8080/");
        Assert.NotEqual(0, cut.ExitCode);
        Assert.Contains("Network is unreachable", cut.Stderr);
        Eventually.Until("a's and a2's routes to b's pods back", Long, () => machines.TroupeRoutes(0), t => Count(t, toB) == 2, t => t, Diagnostics);
        Assert.Contains("hello-from-b", Fetch($"http://{webIp}:8080/").Stdout);

        // a2 leaves: its route to b goes, a's stays (same prefix, another metric); b drops its route to a2's pods
        a2.Dispose();
        Assert.Equal(1, Count(machines.TroupeRoutes(0), toB));
        Eventually.Until("b's route to a2's pods removed", TimeSpan.FromSeconds(30), () => machines.TroupeRoutes(1),
            t => !t.Contains(Cidr("a2")) && t.Contains(Cidr("a")), t => t, Diagnostics);
        Assert.Contains("hello-from-b", Fetch($"http://{webIp}:8080/").Stdout);

        // b leaves: it removes its own routes as it stops, and a removes its route to b
        var bPid = b.NodePid;
        b.Dispose();
        Assert.True(bPid is null || !HostProcesses.IsAlive(bPid.Value), $"node b ({bPid}) still runs after down");
        Assert.Equal("", machines.TroupeRoutes(1).Trim());
        Eventually.Until("a's route to b's pods removed", TimeSpan.FromSeconds(30), () => machines.TroupeRoutes(0),
            t => !t.Contains(Cidr("b")), t => t, Diagnostics);
        Assert.Contains("removed route", File.ReadAllText(Path.Combine(a.Home, "out.log")));
        output.WriteLine($"PodRoutesSpec: pods reached across machines and routes removed in {clock.Elapsed.TotalSeconds:F1} s");
    }

    [SkippableFact]
    public void Nodes_advertising_the_same_pod_cidr_must_be_reported_and_not_routed()
    {
        Requirements.Runc();
        Requirements.Tool("ip", "iproute2");
        using var machines = new NetnsMachines(output);
        using var a = new TroupeCli("rtc-a", output);
        using var b = new TroupeCli("rtc-b", output);
        var ipA = machines.Addresses[0];
        machines.StartNode(0, a, "a", 4061, $"{ipA}:4061", "--driver", "runc");
        string Diagnostics() => a.Diagnostics() + "\n" + b.Diagnostics();
        var cidrA = Eventually.Until("node a's pod CIDR", Long, () => PodCidrOf(a, "a"), c => c is not null, c => c ?? "(none)", Diagnostics)!;

        // b's home already has a's CIDR (a copied home, say): b keeps it, as a home keeps its CIDR
        Directory.CreateDirectory(Path.Combine(b.Home, "network"));
        File.WriteAllText(Path.Combine(b.Home, "network", "ipam.json"), "{\"version\":1,\"cidr\":\"" + cidrA + "\",\"allocations\":{}}");
        machines.StartNode(1, b, "b", 4061, $"{ipA}:4061", "--roles", "worker", "--driver", "runc");
        Eventually.Until("node b advertising a's CIDR", Long, () => PodCidrOf(a, "b"), c => c == cidrA, c => c ?? "(none)", Diagnostics);

        // each says so, naming both, and routes to neither
        var fromA = $"node b advertises pod CIDR {cidrA}, which overlaps this node a's pod CIDR {cidrA}: no route to b";
        var fromB = $"node a advertises pod CIDR {cidrA}, which overlaps this node b's pod CIDR {cidrA}: no route to a";
        Eventually.Until("the conflict in a's log", Long, () => File.ReadAllText(Path.Combine(a.Home, "out.log")), l => l.Contains(fromA), _ => "", Diagnostics);
        Eventually.Until("the conflict in b's log", Long, () => File.ReadAllText(Path.Combine(b.Home, "out.log")), l => l.Contains(fromB), _ => "", Diagnostics);
        Assert.Contains("[ERROR]", File.ReadAllLines(Path.Combine(a.Home, "out.log")).First(l => l.Contains(fromA)));
        Assert.Equal("", machines.TroupeRoutes(0).Trim());
        Assert.Equal("", machines.TroupeRoutes(1).Trim());
    }

    /// <summary>The node's <c>spec.podCIDR</c> as <c>get nodes -o json</c> shows it, or null while it is not listed with one.</summary>
    static string? PodCidrOf(TroupeCli cli, string node)
    {
        var r = cli.Run("get", "nodes", "-o", "json");
        if (r.ExitCode != 0) return null;
        var n = r.Json.GetProperty("items").EnumerateArray().FirstOrDefault(i => i.GetProperty("metadata").GetProperty("name").GetString() == node);
        return n.ValueKind == JsonValueKind.Object && n.GetProperty("spec").TryGetProperty("podCIDR", out var c) ? c.GetString() : null;
    }
}
