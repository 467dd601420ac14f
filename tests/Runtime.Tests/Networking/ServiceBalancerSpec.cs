using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Troupe.Runtime.Networking;
using Xunit;

namespace Troupe.Runtime.Tests.Networking;

/// <summary>
/// The Service load balancer on loopback (no root: no ClusterIP interface): round-robin over the backends, a refusing
/// backend skipped, backends swapped in place, one wildcard listener routing by the address dialled, listeners closed
/// when no longer wanted, and a taken port reported.
/// </summary>
[Trait("Category", "net")]
public sealed class ServiceBalancerSpec : IAsyncDisposable
{
    readonly List<Socket> _servers = [];

    /// <summary>A server that answers each connection with its name and closes.</summary>
    IPEndPoint Named(string name, IPAddress? at = null)
    {
        var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        l.Bind(new IPEndPoint(at ?? IPAddress.Loopback, 0));
        l.Listen(64);
        _servers.Add(l);
        _ = Task.Run(async () =>
        {
            while (true)
            {
                Socket c;
                try { c = await l.AcceptAsync(); } catch (Exception) { return; }
                using (c)
                {
                    try { await c.SendAsync(Encoding.ASCII.GetBytes(name)); c.Shutdown(SocketShutdown.Send); }
                    catch (SocketException) { }
                }
            }
        });
        return (IPEndPoint)l.LocalEndPoint!;
    }

    static IPEndPoint Refusing()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var ep = (IPEndPoint)l.LocalEndpoint;
        l.Stop();
        return ep;
    }

    static int FreePort() => Refusing().Port;

    static async Task<string> Ask(IPAddress ip, int port)
    {
        using var c = new TcpClient();
        await c.ConnectAsync(ip, port);
        using var r = new StreamReader(c.GetStream());
        return await r.ReadToEndAsync();
    }

    [Fact]
    public async Task Balancer_must_spread_round_robin_skip_a_refusing_backend_and_follow_changes()
    {
        await using var lb = new ServiceBalancer(null);
        var (a, b) = (Named("a"), Named("b"));
        var port = FreePort();
        Assert.Empty(await lb.ApplyAsync([new BalancedPort(IPAddress.Loopback, port, [a, Refusing(), b], "default/web")]));
        var answers = new List<string>();
        for (var i = 0; i < 6; i++) answers.Add(await Ask(IPAddress.Loopback, port));
        Assert.Equal(["a", "b"], answers.Distinct().Order());
        Assert.DoesNotContain("", answers); // the refusing backend cost no connection
        Assert.Equal(3, answers.Count(x => x == "a"));

        // endpoints changed: only c now, on the same listener
        var c = Named("c");
        Assert.Empty(await lb.ApplyAsync([new BalancedPort(IPAddress.Loopback, port, [c], "default/web")]));
        Assert.Equal("c", await Ask(IPAddress.Loopback, port));
        // no backends: the connection is held a moment for one, then closed; the port still held
        Assert.Empty(await lb.ApplyAsync([new BalancedPort(IPAddress.Loopback, port, [], "default/web")]));
        var closedAfter = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("", await Ask(IPAddress.Loopback, port));
        Assert.InRange(closedAfter.Elapsed, PublishedPort.NoBackendHold - TimeSpan.FromMilliseconds(100), PublishedPort.NoBackendHold + TimeSpan.FromSeconds(2));

        // a connection made while there is none is served by the endpoint that turns up meanwhile (a Service just
        // applied, its pods becoming ready)
        var waiting = Ask(IPAddress.Loopback, port);
        await Task.Delay(300);
        var d = Named("d");
        Assert.Empty(await lb.ApplyAsync([new BalancedPort(IPAddress.Loopback, port, [d], "default/web")]));
        Assert.Equal("d", await waiting);
        // not wanted any more: closed
        Assert.Empty(await lb.ApplyAsync([]));
        await Assert.ThrowsAnyAsync<SocketException>(() => Ask(IPAddress.Loopback, port));
    }

    [Fact]
    public async Task A_wildcard_listener_must_route_a_ClusterIP_it_shadows_to_that_Service()
    {
        await using var lb = new ServiceBalancer(null);
        var port = FreePort();
        var (lbSide, other) = (Named("load-balancer"), Named("cluster-ip"));
        // 127.0.0.2 stands in for another Service's ClusterIP on the same port: Linux would refuse a second bind
        Assert.Empty(await lb.ApplyAsync(
        [
            new BalancedPort(IPAddress.Any, port, [lbSide], "default/front"),
            new BalancedPort(IPAddress.Parse("127.0.0.2"), port, [other], "default/back"),
        ]));
        Assert.Equal("load-balancer", await Ask(IPAddress.Loopback, port));
        Assert.Equal("cluster-ip", await Ask(IPAddress.Parse("127.0.0.2"), port));
        var listening = Assert.Single(lb.Listening);
        Assert.Equal("default/front,default/back", listening.Owners);
    }

    [Fact]
    public async Task A_taken_port_must_be_reported_for_its_Service_and_the_others_served()
    {
        await using var lb = new ServiceBalancer(null);
        var holder = new TcpListener(IPAddress.Any, 0);
        holder.Start();
        try
        {
            var taken = ((IPEndPoint)holder.LocalEndpoint).Port;
            var free = FreePort();
            var errors = await lb.ApplyAsync(
            [
                new BalancedPort(IPAddress.Any, taken, [Named("x")], "default/held"),
                new BalancedPort(IPAddress.Loopback, free, [Named("y")], "default/fine"),
            ]);
            var (owner, error) = Assert.Single(errors);
            Assert.Equal("default/held", owner);
            Assert.Equal($"port {taken} is already in use on 0.0.0.0", error);
            Assert.Equal("y", await Ask(IPAddress.Loopback, free));
        }
        finally { holder.Stop(); }
    }

    public ValueTask DisposeAsync()
    {
        foreach (var s in _servers) s.Dispose();
        return ValueTask.CompletedTask;
    }
}
