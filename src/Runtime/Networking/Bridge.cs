using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Troupe.Runtime.Networking;

/// <summary>
/// The node's Linux bridge: named <c>trp-&lt;6 hex of SHA-256(node name)&gt;</c> (10 characters, under the kernel's
/// 15), holding the gateway address (<c>.1</c> of the pod CIDR) and up. Pods' host-side veths are its ports, so
/// host ↔ pod and pod ↔ pod traffic is plain bridging and routing to a local address: no <c>ip_forward</c>, no NAT.
/// The bridge carries the alias <c>troupe:&lt;node&gt;</c>. Several nodes on one host each have their own bridge and
/// CIDR; <see cref="EnsureAsync"/> refuses a CIDR another interface already uses, and nothing here touches a link
/// whose name this node did not derive.
/// </summary>
public sealed class Bridge
{
    /// <summary>The node this bridge belongs to.</summary>
    public string NodeName { get; }
    /// <summary>The link name, e.g. <c>trp-1a2b3c</c>.</summary>
    public string Name { get; }
    /// <summary>The pod CIDR.</summary>
    public Cidr Cidr { get; }
    /// <summary>The bridge's own address, the pods' default gateway.</summary>
    public IPAddress Gateway => Cidr.Gateway;

    /// <summary>The bridge of <paramref name="nodeName"/> for <paramref name="cidr"/>.</summary>
    public Bridge(string nodeName, Cidr cidr)
    {
        NodeName = nodeName;
        Name = NameFor(nodeName);
        Cidr = cidr;
    }

    /// <summary>The bridge name of a node: <c>trp-</c> and 6 hex digits of SHA-256 of its name.</summary>
    public static string NameFor(string nodeName) =>
        "trp-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(nodeName)))[..6];

    /// <summary>
    /// The bridge's own MAC, fixed: <c>02:</c> (locally administered, unicast) and 5 bytes of SHA-256 of the node
    /// name. Without it Linux gives a bridge the lowest MAC of its ports, so the gateway's MAC changes whenever that
    /// pod goes away, and every other pod's ARP entry for its gateway turns stale: their replies go to the old MAC
    /// for about 5 seconds (a connection through the Service balancer hung for that long during a rollout).
    /// </summary>
    public string MacAddress => MacFor(NodeName);

    /// <summary>The fixed MAC of a node's bridge.</summary>
    public static string MacFor(string nodeName)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes("mac:" + nodeName));
        return "02:" + string.Join(":", h.Take(5).Select(b => b.ToString("x2")));
    }

    /// <summary>The alias the bridge carries: <c>troupe:&lt;node&gt;</c>.</summary>
    public string Alias => "troupe:" + NodeName;

    /// <summary>
    /// Create the bridge if missing, give it the gateway address and bring it up. Idempotent. Throws
    /// <see cref="NetworkSetupException"/> when another interface already has an address in the pod CIDR
    /// (another node, or the host, uses it).
    /// </summary>
    public async Task EnsureAsync()
    {
        // once set up by this process, only a bridge gone since (deleted by hand) is set up again
        if (_ensured && Directory.Exists($"/sys/class/net/{Name}")) return;
        foreach (var (link, net, address) in await IpTool.Ipv4AddressesAsync())
            if (link != Name && net.Overlaps(Cidr))
                throw new NetworkSetupException($"pod CIDR {Cidr} of node {NodeName} overlaps {address}/{net.PrefixLength} on {link}; give each node its own CIDR");
        var probe = await IpTool.TryAsync("link", "show", "dev", Name);
        if (probe.ExitCode != 0)
        {
            var add = await IpTool.TryAsync("link", "add", Name, "type", "bridge");
            if (add.ExitCode != 0 && !add.Stderr.Contains("File exists"))
                throw new NetworkSetupException($"cannot create bridge {Name}: {add.Stderr.Trim()}");
        }
        await IpTool.RunAsync("link", "set", "dev", Name, "alias", Alias);
        // set, not learnt: a bridge whose MAC was set keeps it when ports come and go
        await IpTool.RunAsync("link", "set", "dev", Name, "address", MacAddress);
        await IpTool.RunAsync("addr", "replace", $"{Gateway}/{Cidr.PrefixLength}", "dev", Name);
        await IpTool.RunAsync("link", "set", "dev", Name, "up");
        _ensured = true;
    }

    private volatile bool _ensured;

    /// <summary>True when the bridge exists.</summary>
    public async Task<bool> ExistsAsync() => (await IpTool.TryAsync("link", "show", "dev", Name)).ExitCode == 0;

    /// <summary>
    /// Delete the bridge (its remaining ports are detached by the kernel, not deleted). No error when missing;
    /// a link of this name without this node's alias is left alone.
    /// </summary>
    public async Task DeleteAsync()
    {
        _ensured = false;
        var link = (await IpTool.LinksAsync()).FirstOrDefault(l => l.Name == Name);
        if (link is null) return;
        if (link.Kind != "bridge" || link.Alias != Alias)
            throw new NetworkSetupException($"{Name} is not node {NodeName}'s bridge (kind {link.Kind}, alias '{link.Alias}'); not deleting it");
        var r = await IpTool.TryAsync("link", "del", "dev", Name);
        if (r.ExitCode != 0 && !IpTool.IsNoSuchDevice(r.Stderr))
            throw new NetworkSetupException($"cannot delete bridge {Name}: {r.Stderr.Trim()}");
    }
}
