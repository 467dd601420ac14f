using System.Net;
using Troupe.Actors.Nodes;
using Troupe.Runtime.Networking;
using Xunit;

namespace Troupe.Actors.Tests.Nodes;

/// <summary>Which routes to other nodes' pods a node keeps (host-gw), without a kernel.</summary>
public sealed class PodRoutesReconcilerSpec
{
    static readonly Cidr Mine = Cidr.Parse("10.140.1.0/24");
    static readonly IPAddress[] MyAddresses = [IPAddress.Parse("127.0.0.1"), IPAddress.Parse("10.251.0.2"), IPAddress.Parse("10.140.1.1")];

    static IPAddress Ip(string s) => IPAddress.Parse(s);
    static PodRoute Route(string cidr, string via) => new(Cidr.Parse(cidr), Ip(via));

    static RoutePlan Plan(IEnumerable<RoutePeer> peers, params PodRoute[] installed) =>
        PodRoutesReconciler.Plan("a", Mine, peers, MyAddresses, installed);

    [Fact]
    public void Plan_must_route_each_other_machine_cidr_via_its_host_address()
    {
        var plan = Plan([
            new RoutePeer("a", Mine.ToString(), Ip("10.251.0.2")),
            new RoutePeer("b", "10.150.7.0/24", Ip("10.251.0.3")),
            new RoutePeer("c", "10.160.9.0/24", Ip("10.251.0.4")),
        ]);
        Assert.Equal([Route("10.150.7.0/24", "10.251.0.3"), Route("10.160.9.0/24", "10.251.0.4")], plan.Replace.Select(r => r.Route));
        Assert.Equal(["b", "c"], plan.Wanted.Select(r => r.Node));
        Assert.Empty(plan.Remove);
        Assert.Empty(plan.Conflicts);
    }

    [Fact]
    public void Plan_must_not_route_to_nodes_on_this_host()
    {
        var plan = Plan([
            new RoutePeer("same-ip", "10.150.7.0/24", Ip("10.251.0.2")),   // its host address is one of mine
            new RoutePeer("loopback", "10.160.9.0/24", Ip("127.0.0.1")),  // both on loopback
            new RoutePeer("other-lo", "10.170.9.0/24", Ip("127.0.0.2")),
        ]);
        Assert.Empty(plan.Wanted);
        Assert.Equal("same host", plan.Unrouted["same-ip"]);
        Assert.Equal("same host", plan.Unrouted["loopback"]);
        Assert.Equal("same host", plan.Unrouted["other-lo"]);
    }

    [Fact]
    public void Plan_must_skip_nodes_that_advertise_no_cidr_or_address_or_a_bad_cidr()
    {
        var plan = Plan([
            new RoutePeer("fake-driver", null, Ip("10.251.0.5")),
            new RoutePeer("old-version", "10.150.7.0/24", null),
            new RoutePeer("garbled", "10.150.8.7/24", Ip("10.251.0.6")),
            new RoutePeer("bound-to-any", "10.150.9.0/24", Ip("0.0.0.0")),   // akka hostname 0.0.0.0, no public-hostname
        ]);
        Assert.Empty(plan.Wanted);
        Assert.Equal(["bound-to-any", "fake-driver", "garbled", "old-version"], plan.Unrouted.Keys);
        Assert.Contains("reaches no one", plan.Unrouted["bound-to-any"]);
        Assert.Contains("host bits", plan.Unrouted["garbled"]);
    }

    [Fact]
    public void Plan_must_report_a_cidr_overlapping_mine_and_not_route_to_it()
    {
        var plan = Plan([new RoutePeer("b", "10.140.0.0/16", Ip("10.251.0.3"))]);
        Assert.Empty(plan.Wanted);
        var c = Assert.Single(plan.Conflicts);
        Assert.True(c.InvolvesSelf);
        Assert.Contains("node b advertises pod CIDR 10.140.0.0/16", c.Message);
        Assert.Contains("this node a's pod CIDR 10.140.1.0/24", c.Message);
    }

    [Fact]
    public void Plan_must_route_to_neither_of_two_other_nodes_that_overlap()
    {
        var plan = Plan([
            new RoutePeer("b", "10.150.7.0/24", Ip("10.251.0.3")),
            new RoutePeer("c", "10.150.7.0/24", Ip("10.251.0.4")),
            new RoutePeer("d", "10.160.1.0/24", Ip("10.251.0.5")),
        ], Route("10.150.7.0/24", "10.251.0.3"));
        Assert.Equal(["d"], plan.Wanted.Select(w => w.Node));
        var c = Assert.Single(plan.Conflicts);
        Assert.Equal("nodes b (10.150.7.0/24) and c (10.150.7.0/24) advertise overlapping pod CIDRs: no route to either", c.Message);
        // the route made before c appeared goes: its packets may belong to either
        Assert.Equal([Route("10.150.7.0/24", "10.251.0.3")], plan.Remove.ToArray());
    }

    [Fact]
    public void Plan_must_remove_routes_of_nodes_that_left_and_replace_a_moved_next_hop()
    {
        var plan = Plan([new RoutePeer("b", "10.150.7.0/24", Ip("10.251.0.9"))],
            Route("10.150.7.0/24", "10.251.0.3"),   // b moved to another machine
            Route("10.160.9.0/24", "10.251.0.4"));  // c left
        Assert.Equal([Route("10.150.7.0/24", "10.251.0.9")], plan.Replace.Select(r => r.Route));
        Assert.Equal([Route("10.160.9.0/24", "10.251.0.4")], plan.Remove.ToArray());
    }

    [Fact]
    public void Plan_must_do_nothing_when_the_routes_are_in_place()
    {
        var plan = Plan([new RoutePeer("b", "10.150.7.0/24", Ip("10.251.0.3"))], Route("10.150.7.0/24", "10.251.0.3"));
        Assert.Single(plan.Wanted);
        Assert.Empty(plan.Replace);
        Assert.Empty(plan.Remove);
    }

    [Fact]
    public void Plan_must_refuse_a_host_address_inside_a_pod_cidr()
    {
        var plan = Plan([new RoutePeer("b", "10.150.7.0/24", Ip("10.150.7.1"))]);
        Assert.Empty(plan.Wanted);
        Assert.Contains("inside a pod CIDR", plan.Unrouted["b"]);
    }

    [Fact]
    public void Plan_must_not_route_a_cidr_outside_the_pod_pool_or_holding_an_address_of_this_host()
    {
        var plan = Plan([
            new RoutePeer("lan", "192.168.1.0/24", Ip("10.251.0.3")),      // would take this host's LAN traffic
            new RoutePeer("wide", "10.0.0.0/8", Ip("10.251.0.4")),        // wider than the pool itself
            new RoutePeer("mine", "10.251.0.0/24", Ip("10.251.0.5")),     // outside the pool, and holds 10.251.0.2
            new RoutePeer("good", "10.150.7.0/24", Ip("10.251.0.6")),
        ]);
        Assert.Equal(["good"], plan.Wanted.Select(r => r.Node));
        Assert.Equal("advertises pod CIDR 192.168.1.0/24, outside Troupe's pod pool 10.128.0.0/10", plan.Unrouted["lan"]);
        Assert.Contains("outside Troupe's pod pool", plan.Unrouted["wide"]);
        Assert.Contains("outside Troupe's pod pool", plan.Unrouted["mine"]);
        Assert.Empty(plan.Conflicts);

        // inside the pool but holding one of this host's addresses (a VPN in 10.128/10, say)
        var vpn = PodRoutesReconciler.Plan("a", Mine, [new RoutePeer("vpn", "10.130.0.0/24", Ip("10.251.0.7"))],
            [.. MyAddresses, Ip("10.130.0.9")], []);
        Assert.Empty(vpn.Wanted);
        Assert.Equal("advertises pod CIDR 10.130.0.0/24, which holds this host's address 10.130.0.9", vpn.Unrouted["vpn"]);
    }
}
