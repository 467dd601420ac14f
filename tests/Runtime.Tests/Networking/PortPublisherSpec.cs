using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Troupe.Runtime.Networking;
using Xunit;
using Xunit.Abstractions;
using static Troupe.Runtime.Tests.Networking.NetTestSupport;

namespace Troupe.Runtime.Tests.Networking;

/// <summary>
/// The userspace TCP proxy. Loopback-only specs (an in-process echo server as the target) need no root; the pod
/// spec (busybox httpd in a real pod network namespace) needs root and skips or fails (CI=true) otherwise.
/// </summary>
[Trait("Category", "net")]
public sealed class PortPublisherSpec
{
    private readonly ITestOutputHelper _out;
    public PortPublisherSpec(ITestOutputHelper output) => _out = output;

    // An echo server: each connection echoes until EOF, then half-closes (so we can check half-close passes through).
    private static (Socket Listener, Task Loop) StartEcho()
    {
        var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        l.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        l.Listen(512);
        var loop = Task.Run(async () =>
        {
            while (true)
            {
                Socket c;
                try { c = await l.AcceptAsync(); } catch (Exception) { return; }
                _ = Task.Run(async () =>
                {
                    using (c)
                    {
                        var buf = new byte[16384];
                        int n;
                        try
                        {
                            while ((n = await c.ReceiveAsync(buf)) > 0) await c.SendAsync(buf.AsMemory(0, n));
                            c.Shutdown(SocketShutdown.Send);
                        }
                        catch (SocketException) { }
                    }
                });
            }
        });
        return (l, loop);
    }

    [Fact]
    public async Task Proxy_must_pipe_both_ways_with_half_close()
    {
        var (echo, _) = StartEcho();
        await using var pub = new PortPublisher();
        try
        {
            var port = await pub.PublishAsync(IPAddress.Loopback, 0, IPAddress.Loopback, ((IPEndPoint)echo.LocalEndPoint!).Port);
            using var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await c.ConnectAsync(port.HostEndPoint);
            var payload = new byte[1_000_000];
            Random.Shared.NextBytes(payload);
            var send = Task.Run(async () => { await c.SendAsync(payload); c.Shutdown(SocketShutdown.Send); });
            var got = new MemoryStream();
            var buf = new byte[65536];
            int n;
            while ((n = await c.ReceiveAsync(buf)) > 0) got.Write(buf, 0, n); // ends only if EOF was relayed back
            await send;
            Assert.Equal(payload, got.ToArray());
            Assert.Equal(1, port.Accepted);
        }
        finally { echo.Dispose(); }
    }

    [Fact]
    public async Task A_taken_port_must_throw_PortInUse_and_dispose_must_free_the_port()
    {
        await using var pub = new PortPublisher();
        var first = await pub.PublishAsync(IPAddress.Loopback, 0, IPAddress.Loopback, 9);
        var port = first.HostEndPoint.Port;
        var e = await Assert.ThrowsAsync<PortInUseException>(() => pub.PublishAsync(IPAddress.Loopback, port, IPAddress.Loopback, 9));
        Assert.Equal($"port {port} is already in use on 127.0.0.1", e.Message);
        Assert.Equal(port, e.Port);
        // 0.0.0.0 clashes with 127.0.0.1 too
        var any = await Assert.ThrowsAsync<PortInUseException>(() => pub.PublishAsync(null, port, IPAddress.Loopback, 9));
        Assert.Equal($"port {port} is already in use on 0.0.0.0", any.Message);
        Assert.Single(pub.Published);

        await first.DisposeAsync();
        Assert.Empty(pub.Published);
        await using var again = await pub.PublishAsync(IPAddress.Loopback, port, IPAddress.Loopback, 9);
        Assert.Equal(port, again.HostEndPoint.Port);
    }

    [Fact]
    public async Task Dispose_must_close_open_connections_and_a_refused_target_must_close_the_client()
    {
        var (echo, _) = StartEcho();
        var pub = new PortPublisher();
        try
        {
            var port = await pub.PublishAsync(IPAddress.Loopback, 0, IPAddress.Loopback, ((IPEndPoint)echo.LocalEndPoint!).Port);
            using var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await c.ConnectAsync(port.HostEndPoint);
            await c.SendAsync("ping"u8.ToArray());
            var buf = new byte[16];
            Assert.Equal(4, await c.ReceiveAsync(buf));
            await pub.DisposeAsync();
            var n = await c.ReceiveAsync(buf).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(t => t.IsFaulted ? 0 : t.Result);
            Assert.Equal(0, n);

            // nothing listens on the target: the client's connection is closed, not left hanging
            await using var pub2 = new PortPublisher();
            var dead = await pub2.PublishAsync(IPAddress.Loopback, 0, IPAddress.Loopback, port.HostEndPoint.Port);
            using var c2 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await c2.ConnectAsync(dead.HostEndPoint);
            var n2 = await c2.ReceiveAsync(buf).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(t => t.IsFaulted ? 0 : t.Result);
            Assert.Equal(0, n2);
        }
        finally { echo.Dispose(); }
    }

    [Fact]
    public async Task Proxy_must_sustain_thousands_of_connections_per_second()
    {
        var (echo, _) = StartEcho();
        await using var pub = new PortPublisher();
        try
        {
            var port = await pub.PublishAsync(IPAddress.Loopback, 0, IPAddress.Loopback, ((IPEndPoint)echo.LocalEndPoint!).Port);
            var msg = Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\n\r\n");
            var buf = new byte[64];
            async Task OneAsync()
            {
                using var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await c.ConnectAsync(port.HostEndPoint);
                await c.SendAsync(msg);
                c.Shutdown(SocketShutdown.Send);
                var total = 0; int n;
                while ((n = await c.ReceiveAsync(buf)) > 0) total += n;
                Assert.Equal(msg.Length, total);
            }
            for (var i = 0; i < 100; i++) await OneAsync(); // warm up
            var sw = Stopwatch.StartNew();
            const int N = 2000;
            for (var i = 0; i < N; i++) await OneAsync();
            var seq = N / sw.Elapsed.TotalSeconds;
            sw.Restart();
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ => { for (var i = 0; i < N / 8; i++) await OneAsync(); }));
            var par = N / sw.Elapsed.TotalSeconds;
            _out.WriteLine($"echo through the proxy, one connection per request: sequential {seq:F0}/s, 8 parallel {par:F0}/s");
            Assert.True(seq > 500, $"only {seq:F0} connections/s");
        }
        finally { echo.Dispose(); }
    }

    [SkippableFact]
    public async Task Publishing_a_pods_port_on_localhost_must_reach_its_httpd()
    {
        Require();
        var home = Directory.CreateTempSubdirectory("troupe-pub-").FullName;
        var net = new PodNetwork(home, "n" + Guid.NewGuid().ToString("N")[..8], Cidr.Parse(FreeCidr()));
        Process? httpd = null;
        try
        {
            var www = Directory.CreateDirectory(Path.Combine(home, "www")).FullName;
            await File.WriteAllTextAsync(Path.Combine(www, "index.html"), "served in the pod\n");
            var pod = await net.SetupAsync("web", "web");
            httpd = StartHttpd(pod.NetnsPath, www);
            await HttpGetWhenUp(new IPEndPoint(pod.IP, 8000));

            await using var pub = new PortPublisher();
            var port = await pub.PublishAsync(IPAddress.Loopback, 0, pod.IP, 8000);
            var answer = await HttpGet(port.HostEndPoint);
            Assert.StartsWith("HTTP/1.", answer);
            Assert.Contains("served in the pod", answer);

            var sw = Stopwatch.StartNew();
            const int N = 2000;
            for (var i = 0; i < N; i++) Assert.Contains("served in the pod", await HttpGet(port.HostEndPoint));
            var viaProxy = N / sw.Elapsed.TotalSeconds;
            sw.Restart();
            for (var i = 0; i < N; i++) await HttpGet(new IPEndPoint(pod.IP, 8000));
            var direct = N / sw.Elapsed.TotalSeconds;
            sw.Restart();
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ => { for (var i = 0; i < N / 8; i++) await HttpGet(port.HostEndPoint); }));
            var parallel = N / sw.Elapsed.TotalSeconds;
            _out.WriteLine($"{N} HTTP GETs (one connection each) to busybox httpd: sequential via proxy {viaProxy:F0}/s, direct {direct:F0}/s; 8 clients in parallel via proxy {parallel:F0}/s");
            Assert.True(viaProxy > 200, $"only {viaProxy:F0} GET/s through the proxy");

            var inUse = await Assert.ThrowsAsync<PortInUseException>(() => pub.PublishAsync(IPAddress.Loopback, port.HostEndPoint.Port, pod.IP, 8000));
            Assert.Contains("is already in use on 127.0.0.1", inUse.Message);
        }
        finally
        {
            Stop(httpd);
            await net.TeardownAsync("web");
            await net.Bridge.DeleteAsync();
            try { Troupe.Runtime.Linux.Mounts.UnmountAll(home); } catch (Exception) { }
            Directory.Delete(home, true);
        }
    }
}
