using System.Net;
using Troupe.Runtime.Linux;
using Troupe.Runtime.Networking;
using Xunit;
using Xunit.Abstractions;
using static Troupe.Runtime.Tests.Networking.NetTestSupport;

namespace Troupe.Runtime.Tests.Networking;

/// <summary>
/// Real bridge, veths and network namespaces. Needs root, iproute2, util-linux and busybox: skipped with a reason
/// otherwise, failed instead when CI=true. Every test tears down what it made in a finally block.
/// </summary>
[Trait("Category", "net")]
public sealed class PodNetworkSpec : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("troupe-net-").FullName;
    private readonly string _node = "n" + Guid.NewGuid().ToString("N")[..8];
    private readonly ITestOutputHelper _out;
    public PodNetworkSpec(ITestOutputHelper output) => _out = output;

    public void Dispose()
    {
        try { Mounts.UnmountAll(_home); } catch (Exception) { }
        Directory.Delete(_home, recursive: true);
    }

    private async Task Cleanup(PodNetwork net, params string[] uids)
    {
        foreach (var u in uids) await net.TeardownAsync(u);
        await net.Bridge.DeleteAsync();
    }

    private static async Task<string> Links() => (await Run("ip", "-o", "link")).Stdout;

    [SkippableFact]
    public async Task Two_pods_must_get_their_own_eth0_and_reach_the_host_and_each_other()
    {
        Require();
        var net = new PodNetwork(_home, _node, Cidr.Parse(FreeCidr()));
        System.Diagnostics.Process? httpA = null, httpB = null;
        var www = Directory.CreateDirectory(Path.Combine(_home, "www")).FullName;
        await File.WriteAllTextAsync(Path.Combine(www, "index.html"), "hello from the pod\n");
        try
        {
            var a = await net.SetupAsync("pod-a", "alpha");
            var b = await net.SetupAsync("pod-b", "beta");
            _out.WriteLine($"bridge {net.Bridge.Name} {net.Bridge.Cidr}; {a}; {b}");
            Assert.Equal(Path.Combine(_home, "netns", "pod-a"), a.NetnsPath);
            Assert.True(Mounts.IsMountPoint(a.NetnsPath));
            Assert.Equal(net.Bridge.Gateway, a.Gateway);
            Assert.NotEqual(a.IP, b.IP);
            Assert.Matches("^v[0-9a-f]{8}$", a.HostVeth);
            Assert.Matches("^trp-[0-9a-f]{6}$", net.Bridge.Name);

            // each namespace: lo, eth0 with its address, default route via the gateway
            var addrA = (await Run("nsenter", $"--net={a.NetnsPath}", "ip", "-o", "-4", "addr")).Stdout;
            Assert.Contains($"eth0    inet {a.IP}/24", addrA.Replace("\\", " "));
            Assert.Contains("lo    inet 127.0.0.1/8", addrA);
            Assert.DoesNotContain(b.IP.ToString(), addrA);
            Assert.Contains($"default via {a.Gateway} dev eth0", (await Run("nsenter", $"--net={a.NetnsPath}", "ip", "route")).Stdout);
            Assert.Contains($"master {net.Bridge.Name}", (await Run("ip", "-o", "link", "show", "dev", a.HostVeth)).Stdout);

            // files for the driver to bind-mount
            Assert.Equal($"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n{a.IP}\talpha\n", await File.ReadAllTextAsync(a.HostsPath!));
            Assert.Equal($"nameserver {a.Gateway}\n", await File.ReadAllTextAsync(a.ResolvConfPath!));
            Assert.Equal(Path.Combine(_home, "pods", "pod-a", "net", "hosts"), a.HostsPath);

            // idempotent
            Assert.Equal(a with { }, await net.SetupAsync("pod-a", "alpha"));

            // host -> pod A, pod A -> pod B
            httpA = StartHttpd(a.NetnsPath, www);
            httpB = StartHttpd(b.NetnsPath, www);
            Assert.Contains("hello from the pod", await HttpGetWhenUp(new IPEndPoint(a.IP, 8000)));
            await HttpGetWhenUp(new IPEndPoint(b.IP, 8000));
            var wget = await Run("nsenter", $"--net={a.NetnsPath}", "busybox", "wget", "-q", "-O", "-", $"http://{b.IP}:8000/index.html");
            Assert.True(wget.Code == 0, wget.Stderr);
            Assert.Equal("hello from the pod\n", wget.Stdout);
            // pod -> gateway (the host's bridge address)
            Assert.Equal(0, (await Run("nsenter", $"--net={b.NetnsPath}", "busybox", "ping", "-c", "1", "-W", "2", b.Gateway.ToString())).Code);

            // the gateway's MAC is the bridge's own, not its lowest port's: it must not change as pods come and go, or
            // every other pod's ARP entry for the gateway goes stale (seconds of lost replies)
            var mac = (await File.ReadAllTextAsync($"/sys/class/net/{net.Bridge.Name}/address")).Trim();
            Assert.Equal(net.Bridge.MacAddress, mac);
            await net.SetupAsync("pod-c", "gamma");
            await net.TeardownAsync("pod-c");
            Assert.Equal(mac, (await File.ReadAllTextAsync($"/sys/class/net/{net.Bridge.Name}/address")).Trim());
            Assert.Contains($"lladdr {mac}", (await Run("nsenter", $"--net={b.NetnsPath}", "ip", "neigh", "show", b.Gateway.ToString())).Stdout);

            var listed = await net.ListAsync();
            Assert.Equal(["pod-a", "pod-b"], listed.Select(r => r.Uid));
            Assert.All(listed, r => { Assert.NotNull(r.NetnsPath); Assert.NotNull(r.HostVeth); Assert.NotNull(r.IP); });
        }
        finally
        {
            Stop(httpA); Stop(httpB);
            await Cleanup(net, "pod-a", "pod-b");
        }
        var links = await Links();
        Assert.DoesNotContain(net.HostVethFor("pod-a"), links);
        Assert.DoesNotContain(net.HostVethFor("pod-b"), links);
        Assert.DoesNotContain(net.Bridge.Name, links);
        Assert.Empty(Mounts.Under(Path.Combine(_home, "netns")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_home, "netns")));
        Assert.Empty(await net.Ipam.ListAsync());
        Assert.False(Directory.Exists(Path.Combine(_home, "pods", "pod-a")));
        await net.TeardownAsync("pod-a"); // idempotent
    }

    [SkippableFact]
    public async Task Recovery_must_tear_down_pods_not_live_and_leave_another_nodes_alone()
    {
        Require();
        var net = new PodNetwork(_home, _node, Cidr.Parse(FreeCidr()));
        var otherHome = Directory.CreateTempSubdirectory("troupe-net2-").FullName;
        string cidr2;
        do cidr2 = FreeCidr(); while (cidr2 == net.Bridge.Cidr.ToString());
        var other = new PodNetwork(otherHome, _node + "x", Cidr.Parse(cidr2));
        try
        {
            var keep = await net.SetupAsync("keep", "keep");
            await net.SetupAsync("gone1", "g1");
            await net.SetupAsync("gone2", "g2");
            var foreign = await other.SetupAsync("gone1", "foreign"); // same UID, other node
            Assert.NotEqual(net.Bridge.Name, other.Bridge.Name);
            Assert.NotEqual(net.HostVethFor("gone1"), foreign.HostVeth);

            // a node restart: a new instance on the same home knows only what it finds
            var restarted = new PodNetwork(_home, _node, net.Bridge.Cidr);
            var torn = await restarted.RecoverAsync(["keep"]);
            Assert.Equal(["gone1", "gone2"], torn.Order());
            Assert.Equal(["keep"], (await restarted.ListAsync()).Select(r => r.Uid));
            Assert.Equal(keep.IP, (await restarted.Ipam.ListAsync())["keep"]);

            // the other node's pod is untouched
            Assert.True(Mounts.IsMountPoint(foreign.NetnsPath));
            Assert.Contains(foreign.HostVeth, await Links());
            Assert.Equal(["gone1"], (await other.ListAsync()).Select(r => r.Uid));

            // a CIDR already used by another node's bridge is refused
            var clash = new PodNetwork(Path.Combine(_home, "clash"), _node + "y", other.Bridge.Cidr);
            var e = await Assert.ThrowsAsync<NetworkSetupException>(() => clash.SetupAsync("p", "p"));
            Assert.Contains("overlaps", e.Message);
            Assert.DoesNotContain(clash.Bridge.Name, await Links());
        }
        finally
        {
            await Cleanup(net, "keep", "gone1", "gone2");
            await Cleanup(other, "gone1");
            try { Mounts.UnmountAll(otherHome); } catch (Exception) { }
            Directory.Delete(otherHome, true);
        }
        Assert.DoesNotContain(net.Bridge.Name, await Links());
        Assert.DoesNotContain(other.Bridge.Name, await Links());
    }
}
