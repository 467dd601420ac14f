using System.Collections.Immutable;
using System.Net;
using Troupe.Runtime.Networking;

namespace Troupe.Actors.Nodes;

/// <summary>A worker as the routes reconciler sees it: its name, its advertised pod CIDR and host address (either may be missing).</summary>
public sealed record RoutePeer(string Name, string? PodCidr, IPAddress? HostAddress);

/// <summary>Two nodes advertise pod CIDRs that share addresses: neither is routed to.</summary>
public sealed record CidrConflict(string NodeA, string CidrA, string NodeB, string CidrB, bool InvolvesSelf)
{
    /// <summary>The error line, naming both nodes.</summary>
    public string Message => InvolvesSelf
        ? $"node {NodeB} advertises pod CIDR {CidrB}, which overlaps this node {NodeA}'s pod CIDR {CidrA}: no route to {NodeB} " +
          "(give one of them another TROUPE_HOME or name, or remove its network/ipam.json while it has no pods)"
        : $"nodes {NodeA} ({CidrA}) and {NodeB} ({CidrB}) advertise overlapping pod CIDRs: no route to either";
}

/// <summary>A route to a node's pods.</summary>
public sealed record NodeRoute(string Node, PodRoute Route);

/// <summary>
/// What <see cref="PodRoutesReconciler.Plan"/> decided: the routes that should exist, those to add or change
/// (<c>ip route replace</c>), those of this node to remove (their node left, moved or conflicts), the conflicts seen,
/// and the peers that get no route for another reason (same host, nothing advertised, a bad CIDR).
/// </summary>
public sealed record RoutePlan(
    ImmutableArray<NodeRoute> Wanted,
    ImmutableArray<NodeRoute> Replace,
    ImmutableArray<PodRoute> Remove,
    ImmutableArray<CidrConflict> Conflicts,
    ImmutableSortedDictionary<string, string> Unrouted);

/// <summary>
/// Pure: which routes to other nodes' pods this node keeps (flannel's host-gw). Every other worker that advertises a
/// pod CIDR and a host address gets <c>its CIDR via its host address</c>, unless:
/// <list type="bullet">
/// <item>its host address is one of this node's own addresses, or loopback: the same host, whose bridges are local
///   and already reachable (a route would send its pods' traffic away from the bridge);</item>
/// <item>its CIDR overlaps this node's or another node's: a conflict, reported, and no route to either of the two
///   (this node cannot know which one its packets are meant for);</item>
/// <item>its CIDR is not a CIDR, or it advertises none (a node without a pod network, an older version).</item>
/// </list>
/// <c>installed</c> are the routes this node made earlier (its own protocol and metric only, see
/// <see cref="RouteTable"/>): one no longer wanted is removed; one wanted with another next hop is replaced.
/// </summary>
public static class PodRoutesReconciler
{
    public static RoutePlan Plan(string selfName, Cidr selfCidr, IEnumerable<RoutePeer> peers,
        IReadOnlyCollection<IPAddress> localAddresses, IEnumerable<PodRoute> installed)
    {
        var unrouted = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var parsed = new List<(string Name, Cidr Cidr, IPAddress? Host)>();
        foreach (var p in peers.Where(p => p.Name != selfName).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (string.IsNullOrEmpty(p.PodCidr)) { unrouted[p.Name] = "advertises no pod CIDR"; continue; }
            Cidr cidr;
            try { cidr = Cidr.Parse(p.PodCidr); }
            catch (FormatException e) { unrouted[p.Name] = $"advertises pod CIDR {p.PodCidr}: {e.Message}"; continue; }
            // a route more specific than this host's own networks would take their traffic: only Troupe's pool, and
            // nothing holding one of this host's addresses
            if (cidr.PrefixLength < PodCidr.Pool.PrefixLength || !PodCidr.Pool.Overlaps(cidr))
                unrouted[p.Name] = $"advertises pod CIDR {cidr}, outside Troupe's pod pool {PodCidr.Pool}";
            else if (localAddresses.FirstOrDefault(a => cidr.Contains(a) && !selfCidr.Contains(a)) is { } mine)
                unrouted[p.Name] = $"advertises pod CIDR {cidr}, which holds this host's address {mine}";
            else parsed.Add((p.Name, cidr, p.HostAddress));
        }

        // every pair of overlapping CIDRs, this node's own included
        var conflicts = ImmutableArray.CreateBuilder<CidrConflict>();
        var conflicted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, cidr, _) in parsed.Where(p => p.Cidr.Overlaps(selfCidr)))
        {
            conflicts.Add(new CidrConflict(selfName, selfCidr.ToString(), name, cidr.ToString(), InvolvesSelf: true));
            conflicted.Add(name);
        }
        for (var i = 0; i < parsed.Count; i++)
            for (var j = i + 1; j < parsed.Count; j++)
                if (parsed[i].Cidr.Overlaps(parsed[j].Cidr))
                {
                    conflicts.Add(new CidrConflict(parsed[i].Name, parsed[i].Cidr.ToString(), parsed[j].Name, parsed[j].Cidr.ToString(), InvolvesSelf: false));
                    conflicted.Add(parsed[i].Name);
                    conflicted.Add(parsed[j].Name);
                }

        var local = localAddresses.ToHashSet();
        var wanted = ImmutableArray.CreateBuilder<NodeRoute>();
        foreach (var (name, cidr, host) in parsed)
        {
            if (conflicted.Contains(name)) unrouted[name] = "its pod CIDR conflicts";
            else if (host is null) unrouted[name] = "advertises no host address (or a name that does not resolve)";
            else if (host.Equals(IPAddress.Any) || host.Equals(IPAddress.Broadcast)) unrouted[name] = $"advertises host address {host}, which reaches no one";
            else if (IPAddress.IsLoopback(host) || local.Contains(host)) unrouted[name] = "same host";
            else if (cidr.Contains(host) || selfCidr.Contains(host)) unrouted[name] = $"advertises host address {host}, inside a pod CIDR";
            else wanted.Add(new NodeRoute(name, new PodRoute(cidr, host)));
        }

        var have = installed.ToList();
        var replace = wanted.Where(w => !have.Contains(w.Route)).ToImmutableArray();
        var wantedDestinations = wanted.Select(w => w.Route.Destination).ToHashSet();
        var remove = have.Where(r => !wantedDestinations.Contains(r.Destination)).Distinct().ToImmutableArray();
        return new RoutePlan(wanted.ToImmutable(), replace, remove, conflicts.ToImmutable(), unrouted.ToImmutable());
    }
}
