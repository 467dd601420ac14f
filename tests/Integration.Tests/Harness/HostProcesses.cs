using System.Text.Json;

namespace Troupe.Integration.Tests.Harness;

/// <summary>What the kernel says about a process: alive, namespaces, cgroups, environment.</summary>
public static class HostProcesses
{
    public static bool IsAlive(int pid)
    {
        // A zombie still has a /proc entry; it is not running.
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return true; }
    }

    /// <summary>The namespace identity (<c>pid:[4026531836]</c>) of one of a process's namespaces.</summary>
    public static string Namespace(int pid, string ns) =>
        new FileInfo($"/proc/{pid}/ns/{ns}").LinkTarget ?? throw new InvalidOperationException($"/proc/{pid}/ns/{ns} is not a link");

    public static string SelfNamespace(string ns) => Namespace(Environment.ProcessId, ns);

    /// <summary>
    /// The directory of the process's cgroup for one controller: v1 <c>/sys/fs/cgroup/memory/&lt;path&gt;</c>,
    /// or on the unified hierarchy <c>/sys/fs/cgroup/&lt;path&gt;</c>.
    /// </summary>
    public static string CgroupDir(int pid, string controller)
    {
        var lines = File.ReadAllLines($"/proc/{pid}/cgroup");
        foreach (var line in lines)
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && parts[1].Split(',').Contains(controller))
                return $"/sys/fs/cgroup/{controller}{parts[2]}";
        }
        foreach (var line in lines)
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && parts[0] == "0" && parts[1] == "")
            {
                var unified = Directory.Exists("/sys/fs/cgroup/unified") && !File.Exists("/sys/fs/cgroup/cgroup.controllers")
                    ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
                return unified + parts[2];
            }
        }
        throw new InvalidOperationException($"no {controller} cgroup in /proc/{pid}/cgroup:\n{string.Join('\n', lines)}");
    }

    /// <summary>The memory limit in bytes applied to the process's cgroup (v1 memory.limit_in_bytes or v2 memory.max).</summary>
    public static long MemoryLimit(int pid)
    {
        var dir = CgroupDir(pid, "memory");
        var v1 = Path.Combine(dir, "memory.limit_in_bytes");
        var text = File.Exists(v1) ? File.ReadAllText(v1) : File.ReadAllText(Path.Combine(dir, "memory.max"));
        text = text.Trim();
        return text == "max" ? long.MaxValue : long.Parse(text);
    }

    /// <summary>The CPU limit in cores (quota / period) of the process's cgroup, or null when unlimited.</summary>
    public static double? CpuLimit(int pid)
    {
        var dir = CgroupDir(pid, "cpu");
        var quotaFile = Path.Combine(dir, "cpu.cfs_quota_us");
        if (File.Exists(quotaFile))
        {
            var quota = long.Parse(File.ReadAllText(quotaFile).Trim());
            var period = long.Parse(File.ReadAllText(Path.Combine(dir, "cpu.cfs_period_us")).Trim());
            return quota < 0 ? null : (double)quota / period;
        }
        var max = File.ReadAllText(Path.Combine(dir, "cpu.max")).Trim().Split(' ');
        return max[0] == "max" ? null : double.Parse(max[0]) / double.Parse(max[1]);
    }

    /// <summary>Pids of processes whose environment says <c>TROUPE_HOME=home</c> or whose command line names it.</summary>
    public static IReadOnlyList<int> Referring(string home)
    {
        var found = new List<int>();
        var envNeedle = "TROUPE_HOME=" + home;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var env = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (env.Contains(envNeedle) || env.Contains(envNeedle + "/") ||
                    cmd.Any(a => a == home || a.StartsWith(home + "/", StringComparison.Ordinal) || a.Contains("=" + home + "/")))
                {
                    if (IsAlive(pid)) found.Add(pid);
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    public static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim(); }
        catch (IOException) { return "(gone)"; }
    }

    /// <summary>Mount points at or under a directory, deepest first.</summary>
    public static IReadOnlyList<string> MountsUnder(string dir)
    {
        var result = new List<string>();
        foreach (var line in File.ReadAllLines("/proc/self/mountinfo"))
        {
            var mountPoint = Unescape(line.Split(' ')[4]);
            if (mountPoint == dir || mountPoint.StartsWith(dir + "/", StringComparison.Ordinal)) result.Add(mountPoint);
        }
        return result.OrderByDescending(m => m.Length).ToList();
    }

    /// <summary>
    /// The pod bridges a node of this home made: links whose alias is <c>troupe:NODE-ID</c>, ID the first 8 hex
    /// digits of the SHA-256 of the home's full path (the node's own naming).
    /// </summary>
    public static IReadOnlyList<string> PodBridges(string home)
    {
        var id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(home))))[..8];
        var found = new List<string>();
        if (!Directory.Exists("/sys/class/net")) return found;
        foreach (var dev in Directory.EnumerateDirectories("/sys/class/net"))
        {
            string alias;
            try { alias = File.ReadAllText(Path.Combine(dev, "ifalias")).Trim(); }
            catch (IOException) { continue; }
            if (alias.StartsWith("troupe:", StringComparison.Ordinal) && alias.EndsWith("-" + id, StringComparison.Ordinal)
                && Directory.Exists(Path.Combine(dev, "bridge")))
                found.Add(Path.GetFileName(dev));
        }
        return found;
    }

    private static string Unescape(string s) =>
        System.Text.RegularExpressions.Regex.Replace(s, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());

    public static void Kill(int pid, int signal = 9) => ProcessRunner.Host("kill", $"-{signal}", pid.ToString());

    /// <summary>Waits until a pid is gone (or a zombie); true when it went in time.</summary>
    public static bool WaitGone(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!IsAlive(pid)) return true;
            Thread.Sleep(50);
        }
        return !IsAlive(pid);
    }
}

/// <summary>One line of <c>runc --root ROOT list --format json</c>.</summary>
public sealed record RuncContainer(string Id, string Status, int Pid, string Bundle)
{
    public static IReadOnlyList<RuncContainer> List(string root)
    {
        if (!Directory.Exists(root)) return [];
        var r = ProcessRunner.Host(Requirements.Which("runc") ?? "runc", "--root", root, "list", "--format", "json");
        if (r.ExitCode != 0) throw new InvalidOperationException($"runc list failed:\n{r}");
        var text = r.Stdout.Trim();
        if (text is "" or "null") return [];
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.EnumerateArray().Select(e => new RuncContainer(
            e.GetProperty("id").GetString()!,
            e.GetProperty("status").GetString()!,
            e.TryGetProperty("pid", out var pid) ? pid.GetInt32() : 0,
            e.TryGetProperty("bundle", out var b) ? b.GetString() ?? "" : "")).ToList();
    }
}
