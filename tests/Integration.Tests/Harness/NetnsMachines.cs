using System.Diagnostics;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Troupe.Integration.Tests.Harness;

/// <summary>
/// Two "machines" on one host: two network namespaces (<c>trt&lt;hex&gt;-0</c>, <c>-1</c>), each with its own routing
/// table, <c>lo</c> and an uplink <c>up0</c>, the two uplinks a veth pair on one /24 (<c>10.251.K.2</c> and <c>.3</c>, K
/// random), nothing else: no default route, forwarding off. A process started in one (<see cref="Start"/>, with a
/// <c>/sys</c> of that namespace, see <see cref="LocalCluster.StartInBackground(string?, string, string, Dictionary{string, string?}, string[])"/>)
/// sees only that machine's links. Reverse-path
/// filtering is set to strict (1) on every interface, as many distributions do, so a route that is not symmetric
/// shows. Dispose kills what still runs in them and deletes both namespaces (their links, bridges and routes go
/// with them), and fails when one stays.
/// </summary>
public sealed class NetnsMachines : IDisposable
{
    readonly ITestOutputHelper _output;
    readonly List<Process> _started = [];

    /// <summary>The namespaces' names.</summary>
    public IReadOnlyList<string> Names { get; }
    /// <summary>Each machine's uplink address.</summary>
    public IReadOnlyList<string> Addresses { get; }

    public NetnsMachines(ITestOutputHelper output)
    {
        _output = output;
        var id = $"trt{Guid.NewGuid():N}"[..9];
        var k = Random.Shared.Next(0, 256);
        Names = [$"{id}-0", $"{id}-1"];
        Addresses = [$"10.251.{k}.2", $"10.251.{k}.3"];
        try
        {
            foreach (var ns in Names) Must("ip", "netns", "add", ns);
            Must("ip", "-n", Names[0], "link", "add", "up0", "type", "veth", "peer", "name", "up0", "netns", Names[1]);
            for (var i = 0; i < 2; i++)
            {
                Must("ip", "-n", Names[i], "addr", "add", $"{Addresses[i]}/24", "dev", "up0");
                Must("ip", "-n", Names[i], "link", "set", "up0", "up");
                Must("ip", "-n", Names[i], "link", "set", "lo", "up");
                Must("ip", "netns", "exec", Names[i], "sh", "-c",
                    "for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 1 > $f; done");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    CliResult Must(string file, params string[] args)
    {
        var r = ProcessRunner.Host(file, args);
        Log(r.ToString());
        if (r.ExitCode != 0) throw new XunitException($"{file} {string.Join(' ', args)} failed\n{r}");
        return r;
    }

    void Log(string line)
    {
        try { _output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {line}"); }
        catch (InvalidOperationException) { /* no test is running */ }
    }

    /// <summary>Runs a command inside machine <paramref name="i"/>.</summary>
    public CliResult Exec(int i, params string[] args)
    {
        var r = ProcessRunner.Host("ip", ["netns", "exec", Names[i], .. args]);
        Log(r.ToString());
        return r;
    }

    /// <summary>Troupe's routes (protocol 158) in machine <paramref name="i"/>'s table, one a line.</summary>
    public string TroupeRoutes(int i) => Exec(i, "ip", "route", "show", "proto", "158").Stdout;

    /// <summary><c>troupe ARGS</c> in the background inside machine <paramref name="i"/>, as LocalCluster starts its members.</summary>
    public Process Start(int i, string home, string log, Dictionary<string, string?> extraEnv, params string[] args)
    {
        var p = LocalCluster.StartInBackground(Names[i], home, log, extraEnv, args);
        _started.Add(p);
        Log($"started in {Names[i]}: troupe {string.Join(' ', args)} (TROUPE_HOME={home}, pid {p.Id})");
        return p;
    }

    /// <summary>
    /// <c>troupe node --name NAME --port PORT --seed SEED EXTRA...</c> in machine <paramref name="i"/> for
    /// <paramref name="cli"/>'s home, its cluster address that machine's (<c>CLUSTER_IP</c>), its output in
    /// <c>HOME/out.log</c>; the CLI's Dispose then stops it with <c>troupe down</c> and checks nothing is left.
    /// </summary>
    public Process StartNode(int i, TroupeCli cli, string name, int port, string seed, params string[] extra)
    {
        cli.StartedNode = true;
        return Start(i, cli.Home, Path.Combine(cli.Home, "out.log"), new() { ["CLUSTER_IP"] = Addresses[i] },
            ["node", "--name", name, "--port", port.ToString(), "--seed", seed, .. extra]);
    }

    public void Dispose()
    {
        var left = new List<string>();
        foreach (var ns in Names)
        {
            if (!File.Exists($"/var/run/netns/{ns}")) continue;
            foreach (var pid in ProcessRunner.Host("ip", "netns", "pids", ns).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                left.Add($"process {pid} still in {ns}: {HostProcesses.CommandLine(int.Parse(pid))}");
                HostProcesses.Kill(int.Parse(pid));
            }
        }
        foreach (var p in _started)
        {
            if (!p.HasExited) { try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }
            p.WaitForExit(10_000);
            p.Dispose();
        }
        foreach (var ns in Names)
        {
            if (!File.Exists($"/var/run/netns/{ns}")) continue;
            var r = ProcessRunner.Host("ip", "netns", "del", ns);
            if (r.ExitCode != 0) left.Add($"ip netns del {ns}: {r.ErrorLine}");
        }
        var listed = ProcessRunner.Host("ip", "netns", "list").Stdout;
        foreach (var ns in Names.Where(n => listed.Split('\n').Any(l => l.Split(' ')[0] == n)))
            left.Add($"network namespace {ns} still listed");
        if (left.Count > 0)
        {
            Log("NetnsMachines cleanup: " + string.Join("; ", left));
            throw new XunitException("left behind by the test: " + string.Join("\n", left));
        }
    }
}
