using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Troupe.Runtime.Linux;

namespace Troupe.Runtime.Networking;

/// <summary>
/// One pod's network as set up: its namespace (bind-mounted at <c>NetnsPath</c>, what
/// <c>ContainerLaunch.NetworkNamespacePath</c> takes), its address on the bridge, the gateway, the host side of its
/// veth pair, and the <c>hosts</c> / <c>resolv.conf</c> files a driver bind-mounts at <c>/etc/...</c>.
/// </summary>
public sealed record PodNetworkInfo(string Uid, string NetnsPath, IPAddress IP, IPAddress Gateway, string HostVeth)
{
    /// <summary><c>$TROUPE_HOME/pods/&lt;uid&gt;/net/hosts</c>.</summary>
    public string? HostsPath { get; init; }
    /// <summary><c>$TROUPE_HOME/pods/&lt;uid&gt;/net/resolv.conf</c> (nameserver = the gateway).</summary>
    public string? ResolvConfPath { get; init; }
}

/// <summary>What <see cref="PodNetwork.ListAsync"/> finds of one pod: any of namespace file, veth, address.</summary>
public sealed record PodNetworkRecord(string Uid, string? NetnsPath, string? HostVeth, IPAddress? IP);

/// <summary>
/// Pod networking of one node: the node's <see cref="Bridge"/>, its <see cref="Ipam"/>, and per pod a network
/// namespace at <c>$TROUPE_HOME/netns/&lt;uid&gt;</c> (made with <c>unshare --net=PATH true</c>: the namespace
/// lives on as that bind mount, not under <c>/var/run/netns</c>, so nodes share nothing), a veth pair
/// (<c>v&lt;8 hex of SHA-256(node/uid)&gt;</c> on the bridge with alias <c>troupe:&lt;node&gt;:&lt;uid&gt;</c>;
/// <c>eth0</c> inside), the pod's address, <c>lo</c> up and a default route via the gateway.
/// Needs root and iproute2. Calls for one UID are serialised; different UIDs run in parallel.
/// </summary>
public sealed class PodNetwork
{
    private static readonly Regex UidPattern = new("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", RegexOptions.Compiled);
    private readonly string _home;
    private readonly Dictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>The node whose pods these are.</summary>
    public string NodeName { get; }
    /// <summary>The node's bridge.</summary>
    public Bridge Bridge { get; }
    /// <summary>The node's address store.</summary>
    public Ipam Ipam { get; }
    /// <summary><c>$TROUPE_HOME/netns</c>.</summary>
    public string NetnsDir => Path.Combine(_home, "netns");

    /// <summary>Networking of node <paramref name="nodeName"/> with home <paramref name="home"/> and pod CIDR <paramref name="cidr"/>.</summary>
    public PodNetwork(string home, string nodeName, Cidr cidr)
    {
        _home = Path.GetFullPath(home);
        NodeName = nodeName;
        Bridge = new Bridge(nodeName, cidr);
        Ipam = new Ipam(_home, cidr);
    }

    /// <summary>The host-side veth name of a pod: <c>v</c> and 8 hex digits of SHA-256 of <c>node/uid</c>.</summary>
    public string HostVethFor(string uid) =>
        "v" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(NodeName + "/" + uid)))[..8];

    /// <summary><c>$TROUPE_HOME/netns/&lt;uid&gt;</c>.</summary>
    public string NetnsPathFor(string uid) => Path.Combine(NetnsDir, Check(uid));

    /// <summary><c>$TROUPE_HOME/pods/&lt;uid&gt;/net</c>: hosts and resolv.conf.</summary>
    public string FilesDirFor(string uid) => Path.Combine(_home, "pods", Check(uid), "net");

    private string VethAlias(string uid) => $"troupe:{NodeName}:{uid}";

    /// <summary>
    /// Set up the pod's network (bridge first if needed) and write its hosts (<c>127.0.0.1 localhost</c>,
    /// <c>IP hostname</c>) and resolv.conf. Idempotent: a pod already set up gets its existing info. On failure,
    /// everything done for this pod is undone and <see cref="NetworkSetupException"/> (or
    /// <see cref="IpamExhaustedException"/>) is thrown.
    /// </summary>
    public async Task<PodNetworkInfo> SetupAsync(string uid, string hostname, CancellationToken ct = default)
    {
        Check(uid);
        using var _ = await LockAsync(uid, ct);
        await Bridge.EnsureAsync();
        var netns = NetnsPathFor(uid);
        var veth = HostVethFor(uid);
        try
        {
            var ip = await Ipam.AllocateAsync(uid, ct);
            // the host's view of the veth from /sys (no process): there, on our bridge and up, with its namespace mounted
            var sys = $"/sys/class/net/{veth}";
            var existing = Directory.Exists(sys);
            var intact = existing && Mounts.IsMountPoint(netns)
                && Path.GetFileName(new FileInfo(Path.Combine(sys, "master")).LinkTarget ?? "") == Bridge.Name
                && (File.ReadAllText(Path.Combine(sys, "flags")).Trim() is var flags && (Convert.ToInt32(flags, 16) & 1) == 1);
            if (!intact)
            {
                if (existing) await DeleteLinkAsync(veth);
                await EnsureNetnsAsync(netns);
                // three processes in all: unshare above, the host side, then the pod side
                await IpTool.BatchAsync(null,
                    ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns],
                    ["link", "set", "dev", veth, "alias", VethAlias(uid), "master", Bridge.Name, "up"]);
                await IpTool.BatchAsync(netns,
                    ["link", "set", "lo", "up"],
                    ["addr", "replace", $"{ip}/{Bridge.Cidr.PrefixLength}", "dev", "eth0"],
                    ["link", "set", "eth0", "up"],
                    ["route", "replace", "default", "via", Bridge.Gateway.ToString(), "dev", "eth0"]);
            }
            var (hosts, resolv) = await WriteFilesAsync(uid, hostname, ip, ct);
            return new PodNetworkInfo(uid, netns, ip, Bridge.Gateway, veth) { HostsPath = hosts, ResolvConfPath = resolv };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            try { await TeardownCoreAsync(uid); } catch (Exception cleanup) { throw new AggregateException(ex, cleanup); }
            if (ex is NetworkSetupException or IpamExhaustedException) throw;
            throw new NetworkSetupException($"network setup of pod {uid} failed: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Undo <see cref="SetupAsync"/>: delete the veth pair, unmount and remove the namespace file, free the address,
    /// remove the pod's net files. Idempotent; no error for parts already gone.
    /// </summary>
    public async Task TeardownAsync(string uid)
    {
        Check(uid);
        using var _ = await LockAsync(uid, default);
        await TeardownCoreAsync(uid);
    }

    private async Task TeardownCoreAsync(string uid)
    {
        await DeleteLinkAsync(HostVethFor(uid));
        var netns = NetnsPathFor(uid);
        if (Mounts.IsMountPoint(netns)) Mounts.UnmountAll(netns);
        if (File.Exists(netns)) File.Delete(netns);
        await Ipam.ReleaseAsync(uid);
        var files = FilesDirFor(uid);
        if (Directory.Exists(files)) Directory.Delete(files, recursive: true);
        var podDir = Path.GetDirectoryName(files)!;
        if (Directory.Exists(podDir) && !Directory.EnumerateFileSystemEntries(podDir).Any()) Directory.Delete(podDir);
    }

    /// <summary>
    /// Every pod this node has networking for: namespace files under <c>$TROUPE_HOME/netns</c>, veths carrying this
    /// node's alias, and addresses in the store. Another node's links and files are never listed.
    /// </summary>
    public async Task<IReadOnlyList<PodNetworkRecord>> ListAsync()
    {
        var netns = Directory.Exists(NetnsDir)
            ? Directory.EnumerateFiles(NetnsDir).Select(Path.GetFileName).Where(n => n is not null && UidPattern.IsMatch(n)).Select(n => n!).ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>(StringComparer.Ordinal);
        var prefix = $"troupe:{NodeName}:";
        var veths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var l in await IpTool.LinksAsync())
            if (l.Alias is { } a && a.StartsWith(prefix, StringComparison.Ordinal) && l.Kind == "veth")
            {
                var uid = a[prefix.Length..];
                if (UidPattern.IsMatch(uid) && l.Name == HostVethFor(uid)) veths[uid] = l.Name;
            }
        var ips = await Ipam.ListAsync();
        return netns.Concat(veths.Keys).Concat(ips.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(u => new PodNetworkRecord(u, netns.Contains(u) ? NetnsPathFor(u) : null,
                veths.GetValueOrDefault(u), ips.GetValueOrDefault(u)))
            .ToList();
    }

    /// <summary>
    /// Crash recovery: tear down the networking of every pod <see cref="ListAsync"/> finds that is not in
    /// <paramref name="liveUids"/> (the adopted sandboxes), and reconcile the address store. Returns the UIDs torn down.
    /// </summary>
    public async Task<IReadOnlyList<string>> RecoverAsync(IEnumerable<string> liveUids)
    {
        var live = liveUids.ToHashSet(StringComparer.Ordinal);
        var dead = (await ListAsync()).Select(r => r.Uid).Where(u => !live.Contains(u)).ToList();
        foreach (var uid in dead) await TeardownAsync(uid);
        await Ipam.ReconcileAsync(live);
        return dead;
    }

    private static async Task EnsureNetnsAsync(string netns)
    {
        if (Mounts.IsMountPoint(netns)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(netns)!);
        await File.WriteAllBytesAsync(netns, []);
        await IpTool.CheckedAsync(IpTool.Unshare, [$"--net={netns}", "true"]);
    }

    private static async Task DeleteLinkAsync(string name)
    {
        var r = await IpTool.TryAsync("link", "del", "dev", name);
        if (r.ExitCode != 0 && !IpTool.IsNoSuchDevice(r.Stderr))
            throw new NetworkSetupException($"cannot delete {name}: {r.Stderr.Trim()}");
    }

    private async Task<(string Hosts, string Resolv)> WriteFilesAsync(string uid, string hostname, IPAddress ip, CancellationToken ct)
    {
        var dir = FilesDirFor(uid);
        Directory.CreateDirectory(dir);
        var hosts = Path.Combine(dir, "hosts");
        var resolv = Path.Combine(dir, "resolv.conf");
        var sb = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        if (hostname.Length > 0) sb.Append(ip).Append('\t').Append(hostname).Append('\n');
        await WriteAtomicAsync(hosts, sb.ToString(), ct);
        await WriteAtomicAsync(resolv, $"nameserver {Bridge.Gateway}\n", ct);
        return (hosts, resolv);
    }

    private static async Task WriteAtomicAsync(string path, string content, CancellationToken ct)
    {
        var tmp = path + ".tmp";
        await File.WriteAllTextAsync(tmp, content, ct);
        File.Move(tmp, path, overwrite: true);
    }

    private static string Check(string uid) =>
        UidPattern.IsMatch(uid) ? uid : throw new ArgumentException($"pod UID '{uid}' must be 1-128 characters of A-Z a-z 0-9 . _ - and start with a letter or digit", nameof(uid));

    private async Task<IDisposable> LockAsync(string uid, CancellationToken ct)
    {
        SemaphoreSlim s;
        lock (_locks) { if (!_locks.TryGetValue(uid, out s!)) _locks[uid] = s = new SemaphoreSlim(1, 1); }
        await s.WaitAsync(ct);
        return new Releaser(s);
    }

    private sealed class Releaser(SemaphoreSlim s) : IDisposable
    {
        public void Dispose() => s.Release();
    }
}
