using Troupe.Runtime.Networking;
using Xunit;

namespace Troupe.Runtime.Tests.Networking;

/// <summary>Which /24 a node's pods get: derived from home and node name, kept once a home has one.</summary>
[Trait("Category", "net")]
public sealed class PodCidrSpec : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("troupe-podcidr-").FullName;
    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public void Derive_must_give_machines_with_the_same_home_different_cidrs_by_node_name()
    {
        // every machine with the default ~/.troupe as root: only the node name tells them apart
        var a = PodCidr.Derive("/root/.troupe", "a");
        var b = PodCidr.Derive("/root/.troupe", "b");
        Assert.NotEqual(a, b);
        Assert.False(a.Overlaps(b));
        // and nodes on one host with the same name and different homes differ too
        Assert.NotEqual(PodCidr.Derive("/tmp/n1", "node"), PodCidr.Derive("/tmp/n2", "node"));
    }

    [Fact]
    public void Derive_must_be_a_stable_24_inside_the_pool()
    {
        Assert.Equal(PodCidr.Derive("/srv/troupe", "web-1"), PodCidr.Derive("/srv/troupe/", "web-1"));
        var seen = new HashSet<Cidr>();
        for (var i = 0; i < 500; i++)
        {
            var c = PodCidr.Derive("/root/.troupe", $"node-{i}");
            Assert.Equal(24, c.PrefixLength);
            Assert.True(PodCidr.Pool.Contains(c.Gateway), $"{c} outside {PodCidr.Pool}");
            seen.Add(c);
        }
        // 500 names over 16,384 /24s: a few collide by the birthday bound (expected ~7.6), most do not
        Assert.InRange(seen.Count, 470, 500);
    }

    [Fact]
    public void A_home_must_keep_the_cidr_it_already_has()
    {
        Assert.Null(PodCidr.Stored(_home));
        Assert.Equal(PodCidr.Derive(_home, "a"), PodCidr.Choose(PodCidr.Stored(_home), _home, "a"));

        // a home from before the node name counted: its pods hold addresses in 10.150.3.0/24
        Directory.CreateDirectory(Path.Combine(_home, "network"));
        File.WriteAllText(Path.Combine(_home, "network", "ipam.json"),
            """{"version":1,"cidr":"10.150.3.0/24","last":"10.150.3.2","allocations":{"u1":"10.150.3.2"}}""");
        Assert.Equal(Cidr.Parse("10.150.3.0/24"), PodCidr.Stored(_home));
        Assert.Equal(Cidr.Parse("10.150.3.0/24"), PodCidr.Choose(PodCidr.Stored(_home), _home, "a"));
    }

    [Fact]
    public async Task Remember_must_write_the_cidr_so_the_next_start_keeps_it()
    {
        var cidr = PodCidr.Derive(_home, "a");
        await new Ipam(_home, cidr).RememberAsync();
        Assert.Equal(cidr, PodCidr.Stored(_home));
        // renamed later: the home still has its CIDR
        Assert.Equal(cidr, PodCidr.Choose(PodCidr.Stored(_home), _home, "renamed"));
        Assert.NotEqual(cidr, PodCidr.Derive(_home, "renamed"));
    }

    [Fact]
    public void RouteTable_metric_must_differ_between_nodes_sharing_a_host()
    {
        // nodes on one host share the routing table: each keeps its routes at its own metric
        var m1 = RouteTable.MetricFor("n1-0a1b2c3d");
        var m2 = RouteTable.MetricFor("n2-9f8e7d6c");
        Assert.NotEqual(m1, m2);
        Assert.InRange(m1, 20000, 29999);
        Assert.Equal(m1, new RouteTable("n1-0a1b2c3d").Metric);
    }
}
