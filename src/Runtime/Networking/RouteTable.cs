using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Troupe.Runtime.Networking;

/// <summary>A route to another node's pod CIDR through that node's host address (flannel's host-gw).</summary>
public sealed record PodRoute(Cidr Destination, IPAddress Via)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Destination} via {Via}";
}

/// <summary>
/// The host routes of one node's pods to other nodes' pod CIDRs, in the main table of the node's (the caller's)
/// network namespace, through <c>ip route</c>. Every route it makes carries protocol <see cref="Protocol"/>
/// (Troupe's own number, not one of iproute2's <c>rt_protos</c>) and this node's own <see cref="Metric"/>, derived from
/// the node's network name: the metric is part of a route's key, so two nodes on one host (who share the table)
/// each keep their own copy of a route to the same CIDR, and <see cref="ListAsync"/> and <see cref="DeleteAsync"/>
/// never see or remove a route another node, another program or the administrator made.
/// </summary>
public sealed class RouteTable(string owner)
{
    /// <summary>The <c>proto</c> of Troupe's routes (<c>ip route show proto 158</c>).</summary>
    public const int Protocol = 158;

    /// <summary>This node's metric: 20000 + (SHA-256 of its network name mod 10000).</summary>
    public int Metric { get; } = MetricFor(owner);

    /// <summary>The metric of the node whose network is named <paramref name="owner"/>.</summary>
    public static int MetricFor(string owner)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes(owner));
        return 20000 + (int)((uint)(h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3]) % 10000);
    }

    /// <summary>The routes this node made (protocol and metric its own).</summary>
    public async Task<IReadOnlyList<PodRoute>> ListAsync()
    {
        var json = await IpTool.RunAsync("-j", "-4", "route", "show", "table", "main", "proto", Protocol.ToString());
        var routes = new List<PodRoute>();
        if (string.IsNullOrWhiteSpace(json)) return routes;
        using var doc = JsonDocument.Parse(json);
        foreach (var r in doc.RootElement.EnumerateArray())
        {
            if (!r.TryGetProperty("metric", out var m) || m.GetInt32() != Metric) continue;
            if (!r.TryGetProperty("dst", out var dst) || !r.TryGetProperty("gateway", out var gw)) continue;
            var d = dst.GetString()!;
            if (!d.Contains('/')) d += "/32";
            routes.Add(new PodRoute(Cidr.Parse(d), IPAddress.Parse(gw.GetString()!)));
        }
        return routes;
    }

    /// <summary>
    /// <c>ip route replace DST via VIA proto 158 metric M</c>: adds the route or changes its next hop. Throws
    /// <see cref="NetworkSetupException"/> with ip's message (<c>Nexthop has invalid gateway</c> when VIA is not on a
    /// directly connected network: host-gw needs the nodes on one link).
    /// </summary>
    public Task ReplaceAsync(PodRoute route) =>
        IpTool.RunAsync("route", "replace", route.Destination.ToString(), "via", route.Via.ToString(),
            "proto", Protocol.ToString(), "metric", Metric.ToString());

    /// <summary>Removes one of this node's routes; a route already gone is no error.</summary>
    public async Task DeleteAsync(PodRoute route)
    {
        var r = await IpTool.TryAsync("route", "del", route.Destination.ToString(), "via", route.Via.ToString(),
            "proto", Protocol.ToString(), "metric", Metric.ToString());
        if (r.ExitCode != 0 && !r.Stderr.Contains("No such process", StringComparison.Ordinal))
            throw new NetworkSetupException($"ip route del {route} failed (exit {r.ExitCode}): {r.Stderr.Trim()}");
    }

    /// <summary>Removes every route this node made; returns them.</summary>
    public async Task<IReadOnlyList<PodRoute>> ClearAsync()
    {
        var routes = await ListAsync();
        foreach (var r in routes) await DeleteAsync(r);
        return routes;
    }

    /// <summary>Every IPv4 address of every interface of this network namespace (host addresses, /32s included).</summary>
    public static async Task<IReadOnlyList<IPAddress>> LocalAddressesAsync() =>
        [.. (await IpTool.Ipv4AddressListAsync()).Select(a => a.Address)];

    const string IpForward = "/proc/sys/net/ipv4/ip_forward";

    /// <summary>
    /// Turns on IPv4 forwarding in this network namespace (<c>net.ipv4.ip_forward = 1</c>): packets between the
    /// uplink and the pod bridge are routed, not delivered. True when it was off and is now on; it is never turned
    /// off again (something else on the host may rely on it by then).
    /// </summary>
    public static async Task<bool> EnableForwardingAsync()
    {
        if ((await File.ReadAllTextAsync(IpForward)).Trim() == "1") return false;
        await File.WriteAllTextAsync(IpForward, "1");
        return true;
    }
}
