using System.Net;
using Troupe.Runtime.Networking;
using Xunit;

namespace Troupe.Runtime.Tests.Networking;

/// <summary>Pure IPAM logic and its file store; no root needed.</summary>
[Trait("Category", "net")]
public sealed class IpamSpec : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("troupe-ipam-").FullName;
    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public void Cidr_must_parse_and_reject_bad_input()
    {
        var c = Cidr.Parse("10.89.3.0/24");
        Assert.Equal("10.89.3.1", c.Gateway.ToString());
        Assert.Equal(256u, c.Size);
        Assert.True(c.Contains(IPAddress.Parse("10.89.3.254")));
        Assert.False(c.Contains(IPAddress.Parse("10.89.4.1")));
        Assert.True(Cidr.Parse("10.89.0.0/16").Overlaps(c));
        Assert.False(Cidr.Parse("10.89.4.0/24").Overlaps(c));
        Assert.Contains("host bits", Assert.Throws<FormatException>(() => Cidr.Parse("10.89.3.5/24")).Message);
        Assert.Throws<FormatException>(() => Cidr.Parse("10.89.3.0"));
        Assert.Throws<FormatException>(() => Cidr.Parse("10.89.3.0/31"));
        Assert.Throws<FormatException>(() => Cidr.Parse("fe80::/64"));
    }

    [Fact]
    public void IpamState_must_allocate_from_dot_two_idempotently_and_round_robin()
    {
        var s = new IpamState(Cidr.Parse("10.89.3.0/24"));
        Assert.Equal("10.89.3.2", s.Allocate("a").ToString());
        Assert.Equal("10.89.3.3", s.Allocate("b").ToString());
        Assert.Equal("10.89.3.2", s.Allocate("a").ToString());
        Assert.True(s.Release("a"));
        Assert.False(s.Release("a"));
        Assert.Equal("10.89.3.4", s.Allocate("c").ToString()); // freed .2 not reused at once
        Assert.Equal(253 - 2, s.Free);
    }

    [Fact]
    public void IpamState_must_wrap_around_and_report_exhaustion()
    {
        var s = new IpamState(Cidr.Parse("10.89.3.0/29")); // .2 - .6
        var ips = Enumerable.Range(0, 5).Select(i => s.Allocate("p" + i).ToString()).ToList();
        Assert.Equal(["10.89.3.2", "10.89.3.3", "10.89.3.4", "10.89.3.5", "10.89.3.6"], ips);
        var e = Assert.Throws<IpamExhaustedException>(() => s.Allocate("p5"));
        Assert.Contains("10.89.3.0/29", e.Message);
        s.Release("p1");
        Assert.Equal("10.89.3.3", s.Allocate("p5").ToString());
        Assert.DoesNotContain(s.Allocations.Values, ip => ip.ToString() is "10.89.3.1" or "10.89.3.7" or "10.89.3.0");
    }

    [Fact]
    public void IpamState_must_reconcile_against_live_pods()
    {
        var s = new IpamState(Cidr.Parse("10.89.3.0/24"));
        foreach (var u in new[] { "a", "b", "c" }) s.Allocate(u);
        Assert.Equal(["a", "c"], s.Reconcile(["b", "zz"]));
        Assert.Equal(["b"], s.Allocations.Keys);
    }

    [Fact]
    public void IpamState_must_round_trip_json_and_refuse_a_store_of_another_cidr()
    {
        var c = Cidr.Parse("10.89.3.0/24");
        var s = new IpamState(c);
        s.Allocate("a"); s.Allocate("b"); s.Release("a");
        var back = IpamState.FromJson(s.ToJson(), c);
        Assert.Equal(s.ToJson(), back.ToJson());
        Assert.Equal("10.89.3.4", back.Allocate("c").ToString());
        var e = Assert.Throws<InvalidDataException>(() => IpamState.FromJson(s.ToJson(), Cidr.Parse("10.89.4.0/24")));
        Assert.Contains("10.89.3.0/24", e.Message);
        Assert.Empty(IpamState.FromJson(new IpamState(c).ToJson(), Cidr.Parse("10.89.4.0/24")).Allocations);
        Assert.Throws<InvalidDataException>(() => IpamState.FromJson("{\"cidr\":\"10.89.3.0/24\",\"allocations\":{\"a\":\"10.89.3.1\"}}", c));
        Assert.Throws<InvalidDataException>(() => IpamState.FromJson("{nope", c));
    }

    [Fact]
    public async Task Ipam_must_persist_across_instances_and_serialise_concurrent_callers()
    {
        var c = Cidr.Parse("10.89.3.0/24");
        var a = new Ipam(_home, c);
        var b = new Ipam(_home, c); // a second process on the same home, as far as locking goes
        var ips = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).AllocateAsync("pod" + i)));
        Assert.Equal(40, ips.Select(ip => ip.ToString()).Distinct().Count());
        Assert.True(File.Exists(Path.Combine(_home, "network", "ipam.json")));
        Assert.False(File.Exists(Path.Combine(_home, "network", "ipam.json.tmp")));

        var fresh = new Ipam(_home, c);
        Assert.Equal(ips[7], await fresh.AllocateAsync("pod7"));
        Assert.True(await fresh.ReleaseAsync("pod7"));
        Assert.False(await fresh.ReleaseAsync("pod7"));
        var freed = await fresh.ReconcileAsync(["pod0", "pod1"]);
        Assert.Equal(37, freed.Count);
        Assert.Equal(["pod0", "pod1"], (await new Ipam(_home, c).ListAsync()).Keys.Order());
    }
}
