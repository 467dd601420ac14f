using System.Text;
using System.Text.Json;
using Troupe.Runtime.Drivers;

namespace Troupe.Runtime.Oci;

/// <summary>
/// Writes an OCI runtime bundle's <c>config.json</c> for one <see cref="ContainerLaunch"/>: process (args, env, cwd,
/// uid/gid, no terminal, no-new-privileges, Docker's default capabilities), hostname, the pid/mount/uts/ipc/network
/// namespaces, the standard mounts plus bind mounts of the bundle's <c>hosts</c>, <c>hostname</c> and
/// <c>resolv.conf</c> (and catatonit at <see cref="InitPath"/> for <see cref="ContainerLaunch.Init"/>), runc's default
/// masked and read-only paths, and cgroup limits. Pure: used by <c>RuncDriver</c> and tested alone.
/// </summary>
public static class BundleWriter
{
    /// <summary>Where catatonit is bind-mounted inside the container when <see cref="ContainerLaunch.Init"/> is set.</summary>
    public const string InitPath = "/dev/init";

    /// <summary>Docker's default capability set (bounding, effective and permitted).</summary>
    public static readonly IReadOnlyList<string> DefaultCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    private static readonly string[] MaskedPaths =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
    ];

    private static readonly string[] ReadonlyPaths =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <summary>Host files the bundle provides and the container sees read-only (besides the root file system).</summary>
    public sealed record Files(string Hosts, string Hostname, string ResolvConf, string? InitBinary);

    /// <summary>The process argv: <c>[/dev/init, --, args...]</c> with an init, else the launch's args.</summary>
    public static IReadOnlyList<string> ProcessArgs(ContainerLaunch launch) =>
        launch.Init ? [InitPath, "--", .. launch.Args] : [.. launch.Args];

    /// <summary>config.json for <paramref name="launch"/>, root file system at <c>rootfs</c> in the bundle.</summary>
    public static byte[] ConfigJson(ContainerLaunch launch, Files files)
    {
        if (launch.Args.IsDefaultOrEmpty) throw new ArgumentException("a container needs a command");
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("ociVersion", "1.0.2-dev");
            WriteProcess(w, launch);
            w.WriteStartObject("root");
            w.WriteString("path", "rootfs");
            w.WriteBoolean("readonly", false);
            w.WriteEndObject();
            w.WriteString("hostname", string.IsNullOrEmpty(launch.Hostname) ? launch.Id : launch.Hostname);
            WriteMounts(w, launch, files);
            WriteLinux(w, launch);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The <c>/etc/hosts</c> a container gets: localhost and its own hostname.</summary>
    public static string HostsFile(string hostname) =>
        $"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t{hostname}\n";

    private static void WriteProcess(Utf8JsonWriter w, ContainerLaunch launch)
    {
        w.WriteStartObject("process");
        w.WriteBoolean("terminal", launch.Tty); // conmon -t hands runc the console socket and keeps the terminal's master side
        w.WriteStartObject("user");
        w.WriteNumber("uid", launch.Uid);
        w.WriteNumber("gid", launch.Gid);
        w.WriteEndObject();
        WriteStrings(w, "args", ProcessArgs(launch));
        var env = launch.Env.IsDefault ? [] : launch.Env.ToList();
        if (!env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
            env.Insert(0, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        if (launch.Tty && !env.Any(e => e.StartsWith("TERM=", StringComparison.Ordinal))) env.Add("TERM=xterm"); // as docker -t
        WriteStrings(w, "env", env);
        w.WriteString("cwd", string.IsNullOrEmpty(launch.WorkingDir) ? "/" : launch.WorkingDir);
        w.WriteStartObject("capabilities");
        foreach (var set in new[] { "bounding", "effective", "permitted" }) WriteStrings(w, set, DefaultCapabilities);
        w.WriteEndObject();
        w.WriteBoolean("noNewPrivileges", true);
        w.WriteEndObject();
    }

    private static void WriteMounts(Utf8JsonWriter w, ContainerLaunch launch, Files files)
    {
        w.WriteStartArray("mounts");
        Mount(w, "/proc", "proc", "proc", []);
        Mount(w, "/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]);
        Mount(w, "/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]);
        Mount(w, "/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]);
        Mount(w, "/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]);
        Mount(w, "/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", "ro"]);
        Mount(w, "/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", "ro"]);
        Mount(w, "/etc/hosts", "bind", files.Hosts, ["rbind", "ro"]);
        Mount(w, "/etc/hostname", "bind", files.Hostname, ["rbind", "ro"]);
        Mount(w, "/etc/resolv.conf", "bind", files.ResolvConf, ["rbind", "ro"]);
        foreach (var m in launch.Mounts.IsDefault ? [] : launch.Mounts)
            Mount(w, m.Destination, "bind", m.Source, m.ReadOnly ? ["rbind", "ro"] : ["rbind", "rw"]);
        if (launch.Init)
        {
            if (files.InitBinary is null) throw new ArgumentException("Init is set but no init binary was given");
            Mount(w, InitPath, "bind", files.InitBinary, ["bind", "ro", "nosuid", "nodev"]);
        }
        w.WriteEndArray();
    }

    private static void WriteLinux(Utf8JsonWriter w, ContainerLaunch launch)
    {
        w.WriteStartObject("linux");
        if (launch.CgroupPath is { Length: > 0 } cg) w.WriteString("cgroupsPath", "/" + cg.Trim('/'));
        w.WriteStartObject("resources");
        w.WriteStartArray("devices");
        w.WriteStartObject();
        w.WriteBoolean("allow", false);
        w.WriteString("access", "rwm");
        w.WriteEndObject();
        w.WriteEndArray();
        if (launch.MemoryLimitBytes is { } mem)
        {
            w.WriteStartObject("memory");
            w.WriteNumber("limit", mem);
            w.WriteNumber("swap", mem); // memory+swap = memory: no swap
            w.WriteEndObject();
        }
        if (launch.CpuMillis is { } millis)
        {
            // 500 millicores = 50,000 µs of every 100,000 µs period.
            w.WriteStartObject("cpu");
            w.WriteNumber("quota", Math.Max(1000, millis * 100));
            w.WriteNumber("period", 100_000);
            w.WriteEndObject();
        }
        if (launch.PidsLimit is { } pids)
        {
            w.WriteStartObject("pids");
            w.WriteNumber("limit", pids);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteStartArray("namespaces");
        foreach (var ns in new[] { "pid", "mount", "uts", "ipc" })
        {
            w.WriteStartObject();
            w.WriteString("type", ns);
            w.WriteEndObject();
        }
        w.WriteStartObject();
        w.WriteString("type", "network");
        if (launch.NetworkNamespacePath is { Length: > 0 } netns) w.WriteString("path", netns);
        w.WriteEndObject();
        w.WriteEndArray();
        WriteStrings(w, "maskedPaths", MaskedPaths);
        WriteStrings(w, "readonlyPaths", ReadonlyPaths);
        w.WriteEndObject();
    }

    private static void Mount(Utf8JsonWriter w, string destination, string type, string source, string[] options)
    {
        w.WriteStartObject();
        w.WriteString("destination", destination);
        w.WriteString("type", type);
        w.WriteString("source", source);
        WriteStrings(w, "options", options);
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    /// <summary>Labels as a small JSON object (<c>labels.json</c>).</summary>
    public static byte[] LabelsJson(IEnumerable<KeyValuePair<string, string>> labels)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var (k, v) in labels) w.WriteString(k, v);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Reads <c>labels.json</c>; empty when missing or unreadable.</summary>
    public static System.Collections.Immutable.ImmutableSortedDictionary<string, string> ReadLabels(string path)
    {
        var b = System.Collections.Immutable.ImmutableSortedDictionary.CreateBuilder<string, string>();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            foreach (var p in doc.RootElement.EnumerateObject()) b[p.Name] = p.Value.GetString() ?? "";
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { }
        return b.ToImmutable();
    }

    internal static string Utf8(byte[] b) => Encoding.UTF8.GetString(b);
}
