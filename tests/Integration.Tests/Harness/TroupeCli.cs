using System.Text;
using System.Text.Json;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Troupe.Integration.Tests.Harness;

/// <summary>
/// Drives the real <c>./troupe</c> with its own fresh <c>TROUPE_HOME</c> under /tmp. Disposing it runs
/// <c>troupe down</c>, kills whatever of this home is left (node, conmon, runc containers, mounts), removes the
/// home, and fails when anything had leaked past <c>down</c>.
/// </summary>
public sealed class TroupeCli : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly StringBuilder _transcript = new();

    public TroupeCli(string label, ITestOutputHelper? output = null, bool createHome = true)
    {
        TroupeBuild.EnsureBuilt();
        Home = createHome
            ? Directory.CreateTempSubdirectory($"troupe-it-{label}-").FullName
            : Path.Combine(Path.GetTempPath(), $"troupe-it-{label}-{Guid.NewGuid():N}"[..40]);
        Output = output;
    }

    /// <summary>This instance's <c>TROUPE_HOME</c>.</summary>
    public string Home { get; private set; }

    /// <summary>Where each command and its result is written (the current test's output).</summary>
    public ITestOutputHelper? Output { get; set; }

    /// <summary>True once <c>up</c> has been called: Dispose then expects <c>down</c> to leave nothing behind.</summary>
    public bool StartedNode { get; internal set; }

    public string RuncRoot => Path.Combine(Home, "runc");

    /// <summary>Set on every command this instance runs, over <see cref="Environment"/> (<c>TROUPE_CLUSTER</c>, <c>TROUPE_DB</c>).</summary>
    public Dictionary<string, string?> ExtraEnv { get; } = new();

    /// <summary>Points this instance at another <c>TROUPE_HOME</c> (a read-only or absent one), without owning it.</summary>
    public void UseHome(string home) => Home = home;

    public CliResult Run(params string[] args) => Run(DefaultTimeout, args);

    public CliResult Run(TimeSpan timeout, params string[] args) => RunWithStdin(null, timeout, args);

    public CliResult RunWithStdin(string? stdin, TimeSpan timeout, params string[] args)
    {
        if (args.Length > 0 && args[0] == "up") StartedNode = true;
        var env = Environment(Home);
        foreach (var (k, v) in ExtraEnv) env[k] = v;
        var r = ProcessRunner.Run(RepoRoot.Troupe, args, env, timeout, stdin);
        Log(r.ToString());
        return r;
    }

    /// <summary>
    /// <c>PRODUCER | troupe ARGS</c> through /bin/sh: the call's stdin comes as a shell command writes it (pauses
    /// included), not all at once.
    /// </summary>
    public CliResult RunPiped(string producer, TimeSpan timeout, params string[] args)
    {
        var env = Environment(Home);
        foreach (var (k, v) in ExtraEnv) env[k] = v;
        var r = ProcessRunner.Run("/bin/sh", ["-c", $"{producer} | \"$0\" \"$@\"", RepoRoot.Troupe, .. args], env, timeout,
            displayArgs: [$"{producer} |", .. args]);
        Log(r.ToString());
        return r;
    }

    /// <summary>The environment of a <c>troupe</c> call: ours, minus anything that would point it elsewhere.</summary>
    public static Dictionary<string, string?> Environment(string home)
    {
        var env = new Dictionary<string, string?>
        {
            ["TROUPE_HOME"] = home,
            ["TROUPE_CLUSTER"] = null,
            ["TROUPE_DB"] = null,
            ["TROUPE_TOKEN"] = null,
            ["TROUPE_CA"] = null,
            ["NO_COLOR"] = "1",
            // if the wrapper has to build from inside a test run, leave no MSBuild node or build server behind
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
            ["UseSharedCompilation"] = "false",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };
        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
        {
            var key = (string)e.Key;
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) && key != "MSBUILDDISABLENODEREUSE" ||
                key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
                env[key] = null;
        }
        return env;
    }

    public void Log(string line)
    {
        var stamped = $"[{DateTime.UtcNow:HH:mm:ss.fff}] {line}";
        lock (_transcript) _transcript.AppendLine(stamped);
        try { Output?.WriteLine(stamped); }
        catch (InvalidOperationException) { /* no test is running */ }
    }

    /// <summary>Runs a command and fails the test unless it exits with the expected code.</summary>
    public CliResult Expect(int exitCode, params string[] args) => Expect(exitCode, DefaultTimeout, args);

    public CliResult Expect(int exitCode, TimeSpan timeout, params string[] args)
    {
        var r = Run(timeout, args);
        if (r.ExitCode != exitCode)
            throw new XunitException($"expected exit {exitCode}, got {r.ExitCode}\n{r}\n{Diagnostics()}");
        return r;
    }

    /// <summary><c>troupe up</c>, which must exit 0 with the node accepting commands.</summary>
    public CliResult Up(params string[] extra)
    {
        StartedNode = true;
        return Expect(0, TimeSpan.FromSeconds(120), ["up", .. extra]);
    }

    /// <summary>Writes a manifest into the home's scratch folder and applies it.</summary>
    public CliResult Apply(string yaml, string fileName = "manifest.yaml", int expectExit = 0)
    {
        var path = WriteManifest(yaml, fileName);
        return Expect(expectExit, TimeSpan.FromSeconds(60), "apply", "-f", path);
    }

    public string WriteManifest(string yaml, string fileName)
    {
        var dir = Path.Combine(Path.GetTempPath(), "troupe-it-manifests");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"{Guid.NewGuid():N}"[..8] + "-" + fileName);
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>All pods (<c>get pods -o json</c>), or those labelled <c>app=APP</c>.</summary>
    public IReadOnlyList<PodView> Pods(string? app = null)
    {
        var r = Run("get", "pods", "-o", "json");
        if (r.ExitCode != 0) throw new XunitException($"get pods failed\n{r}");
        var pods = PodView.ParseList(r.Json);
        return app is null ? pods : pods.Where(p => p.App == app).ToList();
    }

    /// <summary>Waits until exactly COUNT pods of APP run, each container with a containerID and a live host pid.</summary>
    public IReadOnlyList<PodView> WaitForRunning(string app, int count, TimeSpan? timeout = null) =>
        Eventually.Until($"{count} Running pods of app={app}", timeout ?? TimeSpan.FromSeconds(60),
            () => Pods(app),
            pods => pods.Count == count && pods.All(p => p.IsRunning && p.Container.ContainerId is not null),
            Describe, Diagnostics);

    /// <summary>Waits until no pod of APP is listed.</summary>
    public void WaitForNoPods(string app, TimeSpan? timeout = null) =>
        Eventually.Until($"no pods of app={app}", timeout ?? TimeSpan.FromSeconds(45), () => Pods(app), pods => pods.Count == 0,
            Describe, Diagnostics);

    /// <summary>Deletes a deployment and waits until its pods are gone (cleanup between tests that share a node).</summary>
    public void DeleteDeployment(string name, string? app = null)
    {
        var r = Run(TimeSpan.FromSeconds(60), "delete", "deployment", name);
        if (r.ExitCode is not (0 or 1)) throw new XunitException($"delete failed\n{r}");
        WaitForNoPods(app ?? name);
    }

    public static string Describe(IReadOnlyList<PodView> pods) =>
        pods.Count == 0 ? "(no pods)" : string.Join("\n", pods.Select(p => "  " + p));

    /// <summary><c>$TROUPE_HOME/node.json</c>, or null when there is none.</summary>
    public JsonElement? NodeJson()
    {
        var path = Path.Combine(Home, "node.json");
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.Clone();
        }
        catch (JsonException) { return null; }
    }

    public int? NodePid => NodeJson() is { } j && j.TryGetProperty("pid", out var p) && p.ValueKind == JsonValueKind.Number
        ? p.GetInt32() : null;

    public IReadOnlyList<RuncContainer> RuncContainers() => RuncContainer.List(RuncRoot);

    /// <summary>What helps to understand a failure: the pods table, runc's list, the tail of the node's logs.</summary>
    public string Diagnostics()
    {
        var sb = new StringBuilder("--- diagnostics ---\n");
        try
        {
            var r = ProcessRunner.Run(RepoRoot.Troupe, ["get", "pods", "-o", "wide"], Environment(Home), TimeSpan.FromSeconds(10));
            sb.AppendLine($"get pods -o wide: exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
            sb.AppendLine("runc list: " + string.Join(", ", RuncContainers().Select(c => $"{c.Id}={c.Status}/{c.Pid}")));
        }
        catch (Exception e) { sb.AppendLine("(diagnostics failed: " + e.Message + ")"); }
        try
        {
            if (Directory.Exists(Home))
            {
                foreach (var log in Directory.EnumerateFiles(Home, "*.log", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 1 }))
                {
                    var lines = File.ReadAllLines(log);
                    sb.AppendLine($"--- {log} (last 40 of {lines.Length} lines)");
                    foreach (var line in lines.TakeLast(40)) sb.AppendLine(line);
                }
            }
        }
        catch (Exception e) { sb.AppendLine("(logs unreadable: " + e.Message + ")"); }
        return sb.ToString();
    }

    public void Dispose()
    {
        var leaks = new List<string>();
        if (!Directory.Exists(Home) || !Home.StartsWith(Path.GetTempPath(), StringComparison.Ordinal))
            return; // not a home we made (read-only or absent paths)

        var nodePid = NodePid;
        if (StartedNode)
        {
            var down = ProcessRunner.Run(RepoRoot.Troupe, ["down"], Environment(Home), TimeSpan.FromSeconds(90));
            Log("cleanup: " + down);
            if (down.ExitCode != 0) leaks.Add($"`troupe down` exited {down.ExitCode}: {down.ErrorLine}");
            if (nodePid is { } np && !HostProcesses.WaitGone(np, TimeSpan.FromSeconds(15)))
                leaks.Add($"node process {np} still alive after `troupe down`");
        }

        // Containers' monitors (conmon) and anything else of this home: give them a moment to go after down.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(StartedNode ? 5 : 0);
        IReadOnlyList<int> stragglers;
        while ((stragglers = HostProcesses.Referring(Home)).Count > 0 && DateTime.UtcNow < deadline) Thread.Sleep(200);
        foreach (var pid in stragglers)
        {
            leaks.Add($"process {pid} still running: {HostProcesses.CommandLine(pid)}");
            HostProcesses.Kill(pid);
        }

        if (Requirements.Which("runc") is not null)
        {
            foreach (var c in RuncContainers())
            {
                leaks.Add($"runc container {c.Id} ({c.Status}, pid {c.Pid}) left in {RuncRoot}");
                ProcessRunner.Host(Requirements.Which("runc")!, "--root", RuncRoot, "kill", c.Id, "KILL");
                Thread.Sleep(100);
                ProcessRunner.Host(Requirements.Which("runc")!, "--root", RuncRoot, "delete", "--force", c.Id);
            }
        }

        foreach (var m in HostProcesses.MountsUnder(Home))
        {
            leaks.Add($"mount left at {m}");
            ProcessRunner.Host("umount", "-l", m);
        }

        // a node killed by the test leaves its pod bridge (a node that stops removes it): gone with the home, so
        // runs do not pile bridges and addresses up on the host
        foreach (var bridge in HostProcesses.PodBridges(Home))
            ProcessRunner.Host("ip", "link", "del", "dev", bridge);

        try { Directory.Delete(Home, recursive: true); }
        catch (Exception e) { Log($"cleanup: cannot remove {Home}: {e.Message}"); }

        if (leaks.Count > 0 && StartedNode)
        {
            var text = "leaked after `troupe down`:\n  " + string.Join("\n  ", leaks);
            Log(text);
            throw new XunitException(text);
        }
    }
}
