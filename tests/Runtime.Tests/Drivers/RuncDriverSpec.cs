using System.Diagnostics;
using Troupe.Runtime.Drivers;
using Troupe.Runtime.Linux;
using Xunit;
using Xunit.Abstractions;

namespace Troupe.Runtime.Tests.Drivers;

/// <summary>
/// The conformance suite and runc-only checks against real runc + conmon with a busybox layer built from the host's
/// static busybox. Needs root, runc and conmon: skipped with a reason otherwise, failed instead when CI=true.
/// </summary>
[Trait("Category", "runc")]
public sealed class RuncDriverSpec : DriverConformance
{
    private const string RuncPath = "/usr/sbin/runc", ConmonPath = "/usr/bin/conmon";
    private readonly string _node = "n" + Guid.NewGuid().ToString("N")[..6];
    private readonly ITestOutputHelper _out;
    private string? _layer;

    public RuncDriverSpec(ITestOutputHelper output) => _out = output;

    private static string? MissingPrerequisite() =>
        !OperatingSystem.IsLinux() ? "not Linux"
        : !Processes.IsRoot ? "not root"
        : !File.Exists(RuncPath) ? $"{RuncPath} missing"
        : !File.Exists(ConmonPath) ? $"{ConmonPath} missing"
        : !File.Exists("/usr/bin/busybox") ? "/usr/bin/busybox missing"
        : null;

    protected override void Require()
    {
        Prerequisite.Require("runc", MissingPrerequisite());
    }

    [SkippableFact]
    public Task RuncDriver_must_feed_attached_input_through_conmon_to_a_stdin_launch() => AttachedInputReachesTheProcess();

    protected override IContainerDriver CreateDriver() => new RuncDriver(Home, _node, RuncPath, ConmonPath);

    private string Layer()
    {
        if (_layer is not null) return _layer;
        var layer = Path.Combine(Home, "layers", "busybox");
        Directory.CreateDirectory(Path.Combine(layer, "bin"));
        foreach (var d in new[] { "proc", "dev", "sys", "tmp", "etc", "root" }) Directory.CreateDirectory(Path.Combine(layer, d));
        File.Copy("/usr/bin/busybox", Path.Combine(layer, "bin", "busybox"));
        foreach (var applet in new[] { "sh", "sleep", "echo", "cat", "head", "tr", "hostname", "dd", "ls", "true", "yes" })
            File.CreateSymbolicLink(Path.Combine(layer, "bin", applet), "busybox");
        return _layer = layer;
    }

    protected override ContainerLaunch Customize(ContainerLaunch l) => l with
    {
        Layers = [Layer()],
        CgroupPath = $"troupe/{_node}/pod-{l.Id[..12]}/{l.Id[13..]}",
        Init = true, // sleep as PID 1 would ignore SIGTERM
    };

    protected override async Task AssertNothingLeftAsync(string id)
    {
        Assert.False(Directory.Exists(Path.Combine(Home, "containers", id)));
        Assert.False(File.Exists(Path.Combine(Home, "containers", "exits", id)));
        Assert.Empty(Mounts.Under(Path.Combine(Home, "containers")));
        Assert.Empty(Cgroups.Existing($"troupe/{_node}/pod-{id[..12]}"));
        var runcList = await Run(RuncPath, "--root", Path.Combine(Home, "runc"), "list", "-q");
        Assert.DoesNotContain(id, runcList);
    }

    private static async Task<string> Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return o;
    }

    [SkippableFact]
    public async Task RuncDriver_must_isolate_limit_and_name_the_container()
    {
        Require();
        var l = Launch("iso", "sleep", "30") with { MemoryLimitBytes = 64 << 20, CpuMillis = 500, PidsLimit = 50 };
        var s = await Driver.StartAsync(l);
        foreach (var ns in new[] { "pid", "mnt", "uts", "ipc", "net" })
            Assert.NotEqual(new FileInfo($"/proc/self/ns/{ns}").LinkTarget ?? File.ReadAllText("/dev/null"),
                new FileInfo($"/proc/{s.Pid}/ns/{ns}").LinkTarget);
        Assert.Equal((64L << 20).ToString(), File.ReadAllText($"/sys/fs/cgroup/memory/{l.CgroupPath}/memory.limit_in_bytes").Trim());
        Assert.Equal("50000", File.ReadAllText($"/sys/fs/cgroup/cpu/{l.CgroupPath}/cpu.cfs_quota_us").Trim());
        Assert.Equal("50", File.ReadAllText($"/sys/fs/cgroup/pids/{l.CgroupPath}/pids.max").Trim());
        Assert.Contains($"/{l.CgroupPath}", File.ReadAllText($"/proc/{s.Pid}/cgroup"));
        // catatonit runs sleep: it forks a moment after runc reports the container started
        var child = "";
        for (var i = 0; i < 50 && child.Length == 0; i++)
        {
            child = File.ReadAllText($"/proc/{s.Pid}/task/{s.Pid}/children").Trim();
            if (child.Length == 0) await Task.Delay(100);
        }
        Assert.NotEmpty(child);
        await Driver.RemoveAsync(l.Id);
        Assert.Empty(Cgroups.Existing(l.CgroupPath!));
    }

    [SkippableFact]
    public async Task RuncDriver_must_log_stdout_and_stderr_in_cri_format_with_hostname_and_hosts()
    {
        Require();
        var l = Launch("log", "sh", "-c", "hostname; echo err >&2; cat /etc/hosts; echo $GREETING") with { Init = false };
        await Driver.StartAsync(l);
        Assert.Equal(0, (await Within(Driver.WaitAsync(l.Id))).ExitCode);
        var lines = File.ReadAllLines(l.LogPath);
        _out.WriteLine(string.Join('\n', lines));
        var cri = new System.Text.RegularExpressions.Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) (stdout|stderr) [FP] ");
        Assert.All(lines, x => Assert.Matches(cri, x));
        Assert.Contains(lines, x => x.EndsWith(" stdout F pod-log"));
        Assert.Contains(lines, x => x.EndsWith(" stderr F err"));
        Assert.Contains(lines, x => x.EndsWith(" stdout F hello"));
        Assert.Contains(lines, x => x.Contains("localhost"));
    }

    [SkippableFact]
    public async Task RuncDriver_must_report_oom_kills()
    {
        Require();
        var l = Launch("oom", "sh", "-c", "x=$(head -c 50000000 /dev/zero | tr '\\0' a); echo ${#x}") with
        {
            Init = false, MemoryLimitBytes = 8 << 20,
        };
        await Driver.StartAsync(l);
        var exit = await Within(Driver.WaitAsync(l.Id), 20);
        Assert.True(exit.OomKilled, $"exit {exit.ExitCode}");
        Assert.Equal("OOMKilled", exit.Reason);
    }

    [SkippableFact]
    public async Task RuncDriver_must_let_a_restarted_node_adopt_running_containers()
    {
        Require();
        var l = Launch("adopt", "sleep", "30");
        var s = await Driver.StartAsync(l);
        using var restarted = new RuncDriver(Home, _node, RuncPath, ConmonPath);
        var rec = Assert.Single(await restarted.ListAsync(), r => r.Id == l.Id);
        Assert.Equal("Running", rec.Status);
        Assert.Equal(s.Pid, rec.Pid);
        Assert.Equal("adopt", rec.Labels["troupe.container"]);
        var wait = restarted.WaitAsync(l.Id);
        await Task.Delay(100);
        Assert.False(wait.IsCompleted);
        await restarted.KillAsync(l.Id, 9);
        Assert.Equal(137, (await Within(wait)).ExitCode);
        var stopped = Assert.Single(await restarted.ListAsync(), r => r.Id == l.Id);
        Assert.Equal("Stopped", stopped.Status);
        Assert.Equal(137, stopped.Exit?.ExitCode);
    }

    [SkippableFact]
    public async Task RuncDriver_must_fail_without_layers_and_not_executable_with_126()
    {
        Require();
        var none = Launch("nolayers", "true") with { Layers = [] };
        Assert.Equal(125, (await Assert.ThrowsAsync<ContainerStartException>(() => Driver.StartAsync(none))).ExitCode);
        var l = Launch("noexec", "/etc") with { Init = false };
        Assert.Equal(126, (await Assert.ThrowsAsync<ContainerStartException>(() => Driver.StartAsync(l))).ExitCode);
    }

    [SkippableFact]
    public async Task RuncDriver_start_latency()
    {
        Require();
        var times = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            var l = Launch($"lat{i}", "sleep", "30");
            var sw = Stopwatch.StartNew();
            await Driver.StartAsync(l);
            times.Add(sw.Elapsed.TotalMilliseconds);
            await Driver.RemoveAsync(l.Id);
        }
        times.Sort();
        _out.WriteLine($"RuncDriver.StartAsync median {(times[4] + times[5]) / 2:F1} ms (min {times[0]:F1}, max {times[9]:F1})");
        Console.WriteLine($"RuncDriver.StartAsync median {(times[4] + times[5]) / 2:F1} ms (min {times[0]:F1}, max {times[9]:F1})");
    }

    public override void Dispose()
    {
        base.Dispose();
        try { Cgroups.Remove($"troupe/{_node}/x", "troupe"); } catch (Exception) { }
    }
}
