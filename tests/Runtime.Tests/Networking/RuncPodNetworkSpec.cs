using System.Net;
using Troupe.Runtime.Drivers;
using Troupe.Runtime.Linux;
using Troupe.Runtime.Networking;
using Xunit;
using Xunit.Abstractions;
using static Troupe.Runtime.Tests.Networking.NetTestSupport;

namespace Troupe.Runtime.Tests.Networking;

/// <summary>
/// A real runc container (busybox httpd) joining a pod's network namespace through
/// <see cref="ContainerLaunch.NetworkNamespacePath"/>: reachable at the pod IP from the host and on localhost through
/// <see cref="PortPublisher"/>. Needs root, runc, conmon, ip: skipped with a reason, or failed when CI=true.
/// </summary>
[Trait("Category", "net")]
public sealed class RuncPodNetworkSpec : IDisposable
{
    private const string RuncPath = "/usr/sbin/runc", ConmonPath = "/usr/bin/conmon";
    private readonly string _home = Directory.CreateTempSubdirectory("troupe-netrunc-").FullName;
    private readonly string _node = "n" + Guid.NewGuid().ToString("N")[..8];
    private readonly ITestOutputHelper _out;
    public RuncPodNetworkSpec(ITestOutputHelper output) => _out = output;

    public void Dispose()
    {
        try { Mounts.UnmountAll(_home); } catch (Exception) { }
        Directory.Delete(_home, recursive: true);
    }

    [SkippableFact]
    public async Task A_runc_container_in_the_pod_netns_must_serve_on_its_pod_ip_and_a_published_port()
    {
        Require();
        Prerequisite.Require("runc", !File.Exists(RuncPath) || !File.Exists(ConmonPath) ? $"{RuncPath} or {ConmonPath} missing" : null);
        var layer = Path.Combine(_home, "layers", "busybox");
        Directory.CreateDirectory(Path.Combine(layer, "bin"));
        foreach (var d in new[] { "proc", "dev", "sys", "tmp", "etc", "root", "www" }) Directory.CreateDirectory(Path.Combine(layer, d));
        File.Copy("/usr/bin/busybox", Path.Combine(layer, "bin", "busybox"));
        foreach (var applet in new[] { "sh", "httpd", "ip", "hostname" }) File.CreateSymbolicLink(Path.Combine(layer, "bin", applet), "busybox");
        await File.WriteAllTextAsync(Path.Combine(layer, "www", "index.html"), "hello from runc\n");

        var net = new PodNetwork(_home, _node, Cidr.Parse(FreeCidr()));
        var driver = new RuncDriver(_home, _node, RuncPath, ConmonPath);
        const string uid = "uid-web", id = "uid-web-httpd";
        var started = false;
        try
        {
            var pod = await net.SetupAsync(uid, "web");
            await driver.StartAsync(new ContainerLaunch
            {
                Id = id, Args = ["httpd", "-f", "-p", "8000", "-h", "/www"], Layers = [layer], Hostname = "web",
                LogPath = Path.Combine(_home, "logs", id, "0.log"), Env = ["PATH=/bin"],
                CgroupPath = $"troupe/{_node}/{uid}/httpd", NetworkNamespacePath = pod.NetnsPath,
            });
            started = true;
            var direct = await HttpGetWhenUp(new IPEndPoint(pod.IP, 8000));
            Assert.Contains("hello from runc", direct);

            await using var pub = new PortPublisher();
            var port = await pub.PublishAsync(IPAddress.Loopback, 0, pod.IP, 8000);
            Assert.Contains("hello from runc", await HttpGet(port.HostEndPoint));
            _out.WriteLine($"container {id} at {pod.IP}:8000, published on {port.HostEndPoint}");
        }
        finally
        {
            if (started) await driver.RemoveAsync(id);
            await net.TeardownAsync(uid);
            await net.Bridge.DeleteAsync();
        }
        var links = (await Run("ip", "-o", "link")).Stdout;
        Assert.DoesNotContain(net.Bridge.Name, links);
        Assert.DoesNotContain(net.HostVethFor(uid), links);
        Assert.Empty(Mounts.Under(_home));
    }
}
