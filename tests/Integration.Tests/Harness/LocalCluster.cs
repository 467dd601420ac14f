using System.Diagnostics;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Troupe.Integration.Tests.Harness;

/// <summary>
/// A lighthouse and several <c>troupe node</c> processes on loopback, as the README's three-node cluster starts
/// them: each its own <c>TROUPE_HOME</c> (its own runc root, image store and bridge), its own cluster and API
/// port, all seeded from the lighthouse and sharing <c>TROUPE_DB</c> when one is given. <see cref="Client"/> is a
/// <c>troupe</c> whose <c>TROUPE_CLUSTER</c> lists every node's API address. <see cref="KillMachine"/> takes a node
/// away as a lost machine goes: <c>kill -9</c> of the node and of its containers.
/// </summary>
public sealed class LocalCluster : IDisposable
{
    public sealed class Member(string name, TroupeCli cli, int clusterPort, int? apiPort)
    {
        public string Name { get; } = name;
        public TroupeCli Cli { get; } = cli;
        public int ClusterPort { get; } = clusterPort;
        public int? ApiPort { get; } = apiPort;
        public string LogPath => Path.Combine(Cli.Home, "out.log");
        public Process? Shell { get; set; }
        public bool Lost { get; set; }
        public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";
        public int? NodePid => Cli.NodePid;
    }

    readonly ITestOutputHelper _output;
    readonly string? _db;
    readonly string _label;
    readonly string _driver;
    readonly string[] _common; // --config F for every member
    readonly List<Member> _outsiders = [];

    /// <summary>
    /// The failure detector and Split Brain Resolver for tests (design.md: "tests use their own overlay"), under
    /// every member's own <c>--config</c> files. cluster.hocon's 2 s acceptable pause suits a quiet machine; on the
    /// loaded 2-core CI box four .NET processes starting (JIT, bridges, TLS handshakes) beside the other test
    /// projects starve a member's heartbeats for longer than that, and the resolver would down a healthy node. A
    /// lost node is still downed in about 10 s, well inside the tests' waits for its pods to come back.
    /// </summary>
    static readonly Lazy<string> Timings = new(() =>
    {
        var file = Path.Combine(Path.GetTempPath(), $"troupe-it-timings-{Environment.ProcessId}.hocon");
        File.WriteAllText(file, """
            akka.cluster.failure-detector.acceptable-heartbeat-pause = 6s
            akka.cluster.split-brain-resolver.stable-after = 3s
            """);
        return file;
    });

    public Member Lighthouse { get; }
    public IReadOnlyList<Member> Nodes { get; }
    public TroupeCli Client { get; }

    /// <param name="configFiles">given to every member with <c>--config</c>, the lighthouse too (config/tls.hocon)</param>
    /// <param name="prepareHome">called with every member's <c>TROUPE_HOME</c> before it starts (the cluster's certificate)</param>
    public LocalCluster(string label, ITestOutputHelper output, int nodes = 3, string driver = "runc", string? db = null,
        string? hocon = null, IReadOnlyList<string>? configFiles = null, Action<string>? prepareHome = null)
    {
        _output = output;
        _db = db;
        _label = label;
        _driver = driver;
        _common = [.. new[] { Timings.Value }.Concat(configFiles ?? []).SelectMany(f => new[] { "--config", f })];
        Lighthouse = new Member("lighthouse", new TroupeCli($"{label}-lh", output), Ports.Free(), null);
        Nodes = Enumerable.Range(1, nodes)
            .Select(i => new Member($"n{i}", new TroupeCli($"{label}-n{i}", output), Ports.Free(), Ports.Free()))
            .ToList();
        Client = new TroupeCli($"{label}-client", output);
        Client.ExtraEnv["TROUPE_CLUSTER"] = string.Join(",", Nodes.Select(n => $"127.0.0.1:{n.ApiPort}"));

        foreach (var m in Nodes.Append(Lighthouse)) prepareHome?.Invoke(m.Cli.Home);
        Launch(Lighthouse, ["lighthouse", "--port", Lighthouse.ClusterPort.ToString(), .. _common]);
        string[] config = [.. _common];
        if (hocon is not null)
        {
            var file = Path.Combine(Client.Home, "nodes.hocon");
            File.WriteAllText(file, hocon);
            config = [.. config, "--config", file];
        }
        foreach (var n in Nodes)
            Launch(n, ["node", "--name", n.Name, "--port", n.ClusterPort.ToString(), "--api-port", n.ApiPort.ToString()!,
                "--seed", $"127.0.0.1:{Lighthouse.ClusterPort}", "--driver", driver, .. config]);
    }

    /// <summary>
    /// Starts one more node seeded from the lighthouse, with its own <paramref name="configFiles"/> instead of the
    /// cluster's: an outsider that should not get in. It is not one of <see cref="Nodes"/>; Dispose kills it.
    /// </summary>
    public Member StartOutsider(string name, IReadOnlyList<string> configFiles, Action<string>? prepareHome = null)
    {
        var m = new Member(name, new TroupeCli($"{_label}-{name}", _output), Ports.Free(), Ports.Free());
        prepareHome?.Invoke(m.Cli.Home);
        _outsiders.Add(m);
        Launch(m, ["node", "--name", name, "--port", m.ClusterPort.ToString(), "--api-port", m.ApiPort.ToString()!,
            "--seed", $"127.0.0.1:{Lighthouse.ClusterPort}", "--driver", _driver, .. configFiles.SelectMany(f => new[] { "--config", f })]);
        return m;
    }

    void Launch(Member m, params string[] args)
    {
        m.Shell = StartInBackground(m.Cli.Home, m.LogPath, _db is null ? [] : new() { ["TROUPE_DB"] = _db }, args);
        Client.Log($"started {m.Name}: troupe {string.Join(' ', args)} (TROUPE_HOME={m.Cli.Home}, pid {m.Shell.Id})");
    }

    /// <summary>
    /// <c>troupe ARGS</c> (a foreground <c>node</c> or <c>lighthouse</c>) in the background with HOME's environment,
    /// stdout and stderr appended to LOG, stdin closed. The process is the shell; the node's own pid is in node.json.
    /// </summary>
    public static Process StartInBackground(string home, string log, Dictionary<string, string?> extraEnv, params string[] args) =>
        StartInBackground(null, home, log, extraEnv, args);

    /// <summary>
    /// The same inside the network namespace <paramref name="netns"/> when one is given: in a mount namespace of its
    /// own (a slave of the host's) with a <c>/sys</c> of that network namespace (so <c>/sys/class/net</c> shows its
    /// links, as <c>ip netns exec</c> does) and the host's cgroup hierarchies bound back under <c>/sys/fs/cgroup</c>
    /// (<c>ip netns exec</c> loses them with the old <c>/sys</c>, and runc needs them). The cgroup tree is held at
    /// <c>HOME/.cgroup</c> meanwhile: a mount point in that mount namespace only.
    /// </summary>
    public static Process StartInBackground(string? netns, string home, string log, Dictionary<string, string?> extraEnv, params string[] args)
    {
        var run = "exec \"$0\" \"$@\" >>\"$TROUPE_LOG\" 2>&1";
        var psi = new ProcessStartInfo(netns is null ? "/bin/sh" : "unshare") { UseShellExecute = false, RedirectStandardInput = true };
        if (netns is not null)
        {
            var held = System.IO.Path.Combine(home, ".cgroup");
            Directory.CreateDirectory(held);
            foreach (var a in new[] { "--mount", "--propagation", "slave", "nsenter", $"--net=/run/netns/{netns}", "/bin/sh" }) psi.ArgumentList.Add(a);
            run = $"set -e; mount --rbind /sys/fs/cgroup '{held}'; mount -t sysfs sysfs /sys; mount --rbind '{held}' /sys/fs/cgroup; {run}";
        }
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(run);
        psi.ArgumentList.Add(RepoRoot.Troupe);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in TroupeCli.Environment(home).Concat(extraEnv))
        {
            if (v is null) psi.Environment.Remove(k);
            else psi.Environment[k] = v;
        }
        psi.Environment["TROUPE_LOG"] = log;
        var p = Process.Start(psi) ?? throw new XunitException($"cannot start troupe {string.Join(' ', args)}");
        p.StandardInput.Close();
        return p;
    }

    /// <summary>Waits until <c>get nodes</c> through the client shows every node that is not lost as Ready.</summary>
    public void WaitReady(TimeSpan? timeout = null)
    {
        var want = Nodes.Where(n => !n.Lost).Select(n => n.Name).ToHashSet();
        Eventually.Until($"nodes {string.Join(",", want)} Ready", timeout ?? TimeSpan.FromSeconds(90), () =>
        {
            foreach (var m in Nodes.Append(Lighthouse))
                if (m.Shell is { HasExited: true } s && !m.Lost)
                    throw new XunitException($"{m.Name} exited with {s.ExitCode}:\n{Tail(m.Log)}");
            var r = Client.Run(TimeSpan.FromSeconds(15), "get", "nodes");
            return r.ExitCode == 0 ? r.Stdout : r.ToString();
        }, table => want.All(n => table.Split('\n').Any(l => l.StartsWith(n + " ") && l.Contains(" Ready "))), s => s, Diagnostics);
    }

    /// <summary>The member named NAME.</summary>
    public Member Node(string name) => Nodes.Single(n => n.Name == name);

    /// <summary><c>kill -9</c> of the node and of every container it ran: the machine is gone.</summary>
    public void KillMachine(Member m)
    {
        var pid = m.NodePid ?? throw new XunitException($"{m.Name} has no node.json");
        m.Lost = true;
        HostProcesses.Kill(pid);
        foreach (var c in m.Cli.RuncContainers())
            ProcessRunner.Host(Requirements.Which("runc")!, "--root", m.Cli.RuncRoot, "kill", c.Id, "KILL");
        Client.Log($"killed {m.Name} (node pid {pid}) and its containers");
    }

    public string Diagnostics()
    {
        var sb = new System.Text.StringBuilder(Client.Diagnostics());
        foreach (var m in Nodes.Append(Lighthouse))
            sb.AppendLine($"--- {m.Name} {(m.Lost ? "(lost)" : "")} log tail\n{Tail(m.Log)}");
        return sb.ToString();
    }

    static string Tail(string log, int lines = 30) => string.Join("\n", log.Split('\n').TakeLast(lines));

    /// <summary>
    /// Stops the surviving nodes with <c>troupe down</c> (checked for leaks as a single node is), then what is
    /// left of the lost ones (their containers, mounts, monitors) and the lighthouse.
    /// </summary>
    public void Dispose()
    {
        var failures = new List<string>();
        foreach (var n in Nodes.Where(n => !n.Lost))
        {
            try
            {
                // a node started by `troupe node` is stopped as `troupe up`'s is: down, then nothing left
                n.Cli.StartedNode = true;
                n.Cli.Dispose();
            }
            catch (XunitException e) { failures.Add($"{n.Name}: {e.Message}"); }
        }
        foreach (var n in Nodes.Where(n => n.Lost)) n.Cli.Dispose();
        foreach (var o in _outsiders)
        {
            if (o.NodePid is { } op) HostProcesses.Kill(op);
            if (o.Shell is { HasExited: false } s) { try { s.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }
            o.Shell?.WaitForExit(10_000);
            o.Shell?.Dispose();
            o.Cli.Dispose();
        }
        if (Lighthouse.NodePid is { } lp)
        {
            HostProcesses.Kill(lp, 15);
            HostProcesses.WaitGone(lp, TimeSpan.FromSeconds(10));
        }
        foreach (var m in Nodes.Append(Lighthouse))
        {
            if (m.Shell is { HasExited: false } s) { try { s.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }
            m.Shell?.Dispose();
        }
        Lighthouse.Cli.Dispose();
        Client.Dispose();
        if (failures.Count > 0) throw new XunitException(string.Join("\n", failures));
    }
}
